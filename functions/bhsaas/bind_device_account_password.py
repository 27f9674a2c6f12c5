"""BindDeviceAccountPassword: host a device account's password (sealed; never returned)."""
from typing import Annotated

from pydantic import Field

from layers.bastion import checks, secrets, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    Id: Uint64
    Password: Annotated[String, Field(min_length=1, max_length=64)]


@action("BindDeviceAccountPassword", Input, region=REGION_IGNORED, resource_type="deviceaccount",
        secret_params=("Password",))
def handle(p: Input, ctx: RequestContext) -> dict:
    checks.require(store.get_many(ctx.account, "account", [p.Id]).get(p.Id), p.Id, checks.DEVICE_ACCOUNT)
    sealed = secrets.seal(p.Password, secrets.context(ctx.account, p.Id, "password"))

    def write(tx: store.Tx) -> str:
        rec = checks.require(tx.get("account", p.Id), p.Id, checks.DEVICE_ACCOUNT)
        rec["Password"] = sealed
        tx.put("account", rec)
        return f"{rec['DeviceId']}/{rec['Account']}"

    ctx.touched(store.transaction(ctx.account, write))
    return {}
