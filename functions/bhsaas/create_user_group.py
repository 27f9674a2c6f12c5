"""CreateUserGroup: a user group (用户组); names are unique in the account."""
from typing import Optional

from layers.bastion import fields, groups
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    Name: fields.Name32
    DepartmentId: Optional[fields.DepartmentId] = None


@action("CreateUserGroup", Input, region=REGION_IGNORED, resource_type="usergroup")
def handle(p: Input, ctx: RequestContext) -> dict:
    gid = groups.create(ctx.account, groups.USER_GROUPS, p.Name, p.DepartmentId)
    ctx.touched(p.Name)
    return {"Id": gid}
