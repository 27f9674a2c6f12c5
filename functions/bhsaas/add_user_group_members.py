"""AddUserGroupMembers: users join a group; one already in it is FailedOperation.DuplicateData."""
from layers.bastion import fields, groups
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, Uint64


class Input(Params):
    Id: Uint64
    MemberIdSet: fields.RequiredIdSet


@action("AddUserGroupMembers", Input, region=REGION_IGNORED, resource_type="usergroup")
def handle(p: Input, ctx: RequestContext) -> dict:
    groups.add_members(ctx.account, groups.USER_GROUPS, p.Id, p.MemberIdSet)
    ctx.touched(str(p.Id))
    return {}
