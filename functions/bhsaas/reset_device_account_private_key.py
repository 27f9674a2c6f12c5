"""ResetDeviceAccountPrivateKey: stop hosting the accounts' private keys (and their passphrases)."""
from layers.bastion import checks, fields, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params

CLEARED = ("PrivateKey", "PrivateKeyPassword")


class Input(Params):
    IdSet: fields.RequiredIdSet


@action("ResetDeviceAccountPrivateKey", Input, region=REGION_IGNORED, resource_type="deviceaccount")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> list:
        found = checks.require_all(tx.get_many("account", p.IdSet), p.IdSet, checks.DEVICE_ACCOUNT)
        for rec in found:
            for name in CLEARED:
                rec.pop(name, None)
            tx.put("account", rec)
        return [f"{a['DeviceId']}/{a['Account']}" for a in found]

    ctx.touched(*store.transaction(ctx.account, write))
    return {}
