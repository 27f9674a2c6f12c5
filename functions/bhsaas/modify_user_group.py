"""ModifyUserGroup: rename a user group or move it to another department."""
from typing import Optional

from layers.bastion import fields, groups
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, Uint64


class Input(Params):
    Id: Uint64
    Name: fields.Name32
    DepartmentId: Optional[fields.DepartmentId] = None


@action("ModifyUserGroup", Input, region=REGION_IGNORED, resource_type="usergroup")
def handle(p: Input, ctx: RequestContext) -> dict:
    groups.modify(ctx.account, groups.USER_GROUPS, p.Id, p.Name, p.DepartmentId)
    ctx.touched(p.Name)
    return {}
