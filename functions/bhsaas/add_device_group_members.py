"""AddDeviceGroupMembers: devices join a group; one already in it is FailedOperation.DuplicateData."""
from layers.bastion import fields, groups
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, Uint64


class Input(Params):
    Id: Uint64
    MemberIdSet: fields.RequiredIdSet


@action("AddDeviceGroupMembers", Input, region=REGION_IGNORED, resource_type="devicegroup")
def handle(p: Input, ctx: RequestContext) -> dict:
    groups.add_members(ctx.account, groups.DEVICE_GROUPS, p.Id, p.MemberIdSet)
    ctx.touched(str(p.Id))
    return {}
