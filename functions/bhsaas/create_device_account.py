"""CreateDeviceAccount: an account name on a device (e.g. root) whose password or private key
the bastion can host; the same name twice on one device is FailedOperation.DuplicateData."""
from layers.bastion import checks, fields, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, Uint64


class Input(Params):
    DeviceId: Uint64
    Account: fields.AccountName


@action("CreateDeviceAccount", Input, region=REGION_IGNORED, resource_type="deviceaccount")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> int:
        checks.require(tx.get("device", p.DeviceId), p.DeviceId, checks.DEVICE)
        if any(a["DeviceId"] == p.DeviceId and a["Account"] == p.Account for a in tx.all("account").values()):
            raise ApiError("FailedOperation.DuplicateData",
                           f"Device {p.DeviceId} already has an account `{p.Account}`.")
        (aid,) = tx.new_ids("account")
        tx.put("account", {"Id": aid, "DeviceId": p.DeviceId, "Account": p.Account})
        return aid

    aid = store.transaction(ctx.account, write)
    ctx.touched(f"{p.DeviceId}/{p.Account}")
    return {"Id": aid}
