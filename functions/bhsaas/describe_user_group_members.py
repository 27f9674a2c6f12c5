"""DescribeUserGroupMembers: the users in a group (Bound=true) or not in it (Bound=false);
Name is fuzzy over user name and real name."""
from typing import Annotated, Optional

from pydantic import Field

from layers.bastion import fields, filters, groups, views
from layers.bastion.snapshot import Snapshot
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Bool, Params, String, Uint64


class Input(Params):
    Id: Uint64
    Bound: Bool
    Name: Optional[fields.SearchName] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20
    DepartmentId: Optional[String] = None


@action("DescribeUserGroupMembers", Input, region=REGION_IGNORED, resource_type="usergroup")
def handle(p: Input, ctx: RequestContext) -> dict:
    snap = Snapshot(ctx.account)
    snap.departments.check(p.DepartmentId)
    users = [u for u in groups.members_of(snap, groups.USER_GROUPS, p.Id, p.Bound)
             if filters.fuzzy(p.Name, u["UserName"], u["RealName"]) and filters.in_department(u, p.DepartmentId)]
    return {"TotalCount": len(users), "UserSet": [views.user(u, snap) for u in filters.page(users, p.Offset, p.Limit)]}
