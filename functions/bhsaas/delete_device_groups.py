"""DeleteDeviceGroups: the groups go; their members leave them and ACLs stop naming them."""
from layers.bastion import fields, groups
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    IdSet: fields.RequiredIdSet


@action("DeleteDeviceGroups", Input, region=REGION_IGNORED, resource_type="devicegroup")
def handle(p: Input, ctx: RequestContext) -> dict:
    groups.delete(ctx.account, groups.DEVICE_GROUPS, p.IdSet)
    ctx.touched(*(str(i) for i in p.IdSet))
    return {}
