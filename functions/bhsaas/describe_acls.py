"""DescribeAcls: the account's access permissions, filtered and paged.

IdSet overrides the other filters. Name is fuzzy, or exact with Exact=true. AuthorizedUserIdSet
and AuthorizedDeviceIdSet keep ACLs that reach one of the users or devices, directly or through
their groups. Status is derived from ValidateFrom/ValidateTo: 1 in effect, 2 not yet, 3 expired."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, filters, times, views
from layers.bastion.snapshot import Snapshot
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Bool, Params, String, Uint64


class Input(Params):
    IdSet: Optional[fields.IdSet] = None
    Name: Optional[fields.SearchName] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20
    Exact: Bool = False
    AuthorizedUserIdSet: Optional[fields.IdSet] = None
    AuthorizedDeviceIdSet: Optional[fields.IdSet] = None
    Status: Optional[fields.choice(1, 2, 3)] = None
    DepartmentId: Optional[String] = None
    Filters: Optional[List[filters.Filter]] = None


# Filters (Name: Values, any value matches; every filter must hold): Name fuzzy, Status 1 in
# effect, 2 not yet in effect, 3 expired (Acl.Status).
FILTERS = {
    "Name": lambda a, v: filters.fuzzy(v, a["Name"]),
    "Status": lambda a, v: str(times.window_status(a.get("ValidateFrom"), a.get("ValidateTo"))) == v,
}


@action("DescribeAcls", Input, region=REGION_IGNORED, resource_type="acl")
def handle(p: Input, ctx: RequestContext) -> dict:
    filters.check_filters(p.Filters, FILTERS)
    snap = Snapshot(ctx.account)
    snap.departments.check(p.DepartmentId)
    acls = filters.by_id(snap.acls)
    if p.IdSet:
        wanted = set(p.IdSet)
        acls = [a for a in acls if a["Id"] in wanted]
    else:
        if p.Name:
            acls = [a for a in acls if (a["Name"] == p.Name if p.Exact else filters.fuzzy(p.Name, a["Name"]))]
        if p.AuthorizedUserIdSet:
            reach = snap.acls_reaching_users(p.AuthorizedUserIdSet)
            acls = [a for a in acls if a["Id"] in reach]
        if p.AuthorizedDeviceIdSet:
            reach = snap.acls_reaching_devices(p.AuthorizedDeviceIdSet)
            acls = [a for a in acls if a["Id"] in reach]
        if p.Status is not None:
            now = times.now()
            acls = [a for a in acls if times.window_status(a.get("ValidateFrom"), a.get("ValidateTo"), now) == p.Status]
        acls = [a for a in acls if filters.in_department(a, p.DepartmentId)]
        acls = filters.by_filters(acls, p.Filters, FILTERS)
    return {"TotalCount": len(acls), "AclSet": [views.acl(a, snap) for a in filters.page(acls, p.Offset, p.Limit)]}
