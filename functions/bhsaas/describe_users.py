"""DescribeUsers: the account's users, filtered and paged.

IdSet, when given, overrides every other filter. Otherwise UserName is an exact match; Phone
(exact) applies only without UserName; Name (fuzzy over user name and real name) only without
UserName and Phone. AuthorizedDeviceIdSet keeps users that some ACL lets reach one of the devices,
through user groups and device groups too."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, filters, views
from layers.bastion.snapshot import Snapshot
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    IdSet: Optional[fields.IdSet] = None
    Name: Optional[String] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20
    UserName: Optional[String] = None
    Phone: Optional[String] = None
    Email: Optional[String] = None
    AuthorizedDeviceIdSet: Optional[fields.IdSet] = None
    AuthTypeSet: Optional[List[fields.AuthType]] = None
    DepartmentId: Optional[String] = None
    Filters: Optional[List[filters.Filter]] = None


# Filters (Name: Values, any value matches; every filter must hold): UserName and RealName are
# fuzzy, Phone, Email and DepartmentId exact, Status one of active, inactive, locked (User.Status).
FILTERS = {
    "UserName": lambda u, v: filters.fuzzy(v, u["UserName"]),
    "RealName": lambda u, v: filters.fuzzy(v, u["RealName"]),
    "Phone": lambda u, v: fields.phone_key(u["Phone"]) == fields.phone_key(v),
    "Email": lambda u, v: u.get("Email", "") == v,
    "Status": lambda u, v: views.user_status(u) == v,
    "DepartmentId": lambda u, v: filters.in_department(u, v),
}


def matching(p: Input, snap: Snapshot) -> List[dict]:
    filters.check_filters(p.Filters, FILTERS)
    snap.departments.check(p.DepartmentId)
    for f in p.Filters or ():
        if f.Name == "DepartmentId":
            for v in f.Values:
                snap.departments.check(v)
    users = filters.by_id(snap.users)
    if p.IdSet:
        wanted = set(p.IdSet)
        return [u for u in users if u["Id"] in wanted]
    if p.UserName:
        users = [u for u in users if u["UserName"] == p.UserName]
    elif p.Phone:
        key = fields.phone_key(p.Phone)
        users = [u for u in users if fields.phone_key(u["Phone"]) == key]
    elif p.Name:
        users = [u for u in users if filters.fuzzy(p.Name, u["UserName"], u["RealName"])]
    if p.Email:
        users = [u for u in users if u.get("Email", "") == p.Email]
    if p.AuthTypeSet:
        users = [u for u in users if u.get("AuthType", 0) in p.AuthTypeSet]
    if p.DepartmentId:
        users = [u for u in users if filters.in_department(u, p.DepartmentId)]
    if p.AuthorizedDeviceIdSet:
        reach = snap.users_reaching(p.AuthorizedDeviceIdSet)
        users = [u for u in users if u["Id"] in reach]
    return filters.by_filters(users, p.Filters, FILTERS)


@action("DescribeUsers", Input, region=REGION_IGNORED, resource_type="user")
def handle(p: Input, ctx: RequestContext) -> dict:
    snap = Snapshot(ctx.account)
    users = matching(p, snap)
    return {"TotalCount": len(users), "UserSet": [views.user(u, snap) for u in filters.page(users, p.Offset, p.Limit)]}
