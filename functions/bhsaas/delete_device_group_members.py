"""DeleteDeviceGroupMembers: devices leave a group (ones not in it are left as they are)."""
from layers.bastion import fields, groups
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, Uint64


class Input(Params):
    Id: Uint64
    MemberIdSet: fields.RequiredIdSet


@action("DeleteDeviceGroupMembers", Input, region=REGION_IGNORED, resource_type="devicegroup")
def handle(p: Input, ctx: RequestContext) -> dict:
    groups.remove_members(ctx.account, groups.DEVICE_GROUPS, p.Id, p.MemberIdSet)
    ctx.touched(str(p.Id))
    return {}
