"""ResetDeviceAccountPassword: stop hosting the accounts' passwords."""
from layers.bastion import fields, hosted
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params

CLEARED = ("Password",)


class Input(Params):
    IdSet: fields.RequiredIdSet


@action("ResetDeviceAccountPassword", Input, region=REGION_IGNORED, resource_type="deviceaccount")
def handle(p: Input, ctx: RequestContext) -> dict:
    ctx.touched(*hosted.clear(ctx.account, p.IdSet, CLEARED))
    return {}
