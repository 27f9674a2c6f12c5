"""ResetDeviceAccountPrivateKey: stop hosting the accounts' private keys (and their passphrases)."""
from layers.bastion import fields, hosted
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params

CLEARED = ("PrivateKey", "PrivateKeyPassword")


class Input(Params):
    IdSet: fields.RequiredIdSet


@action("ResetDeviceAccountPrivateKey", Input, region=REGION_IGNORED, resource_type="deviceaccount")
def handle(p: Input, ctx: RequestContext) -> dict:
    ctx.touched(*hosted.clear(ctx.account, p.IdSet, CLEARED))
    return {}
