"""BindDeviceAccountPassword: host a device account's password (sealed; never returned)."""
from typing import Annotated

from pydantic import Field

from layers.bastion import hosted, secrets
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    Id: Uint64
    Password: Annotated[String, Field(min_length=1, max_length=64)]


@action("BindDeviceAccountPassword", Input, region=REGION_IGNORED, resource_type="deviceaccount",
        secret_params=("Password",))
def handle(p: Input, ctx: RequestContext) -> dict:
    hosted.require(ctx.account, p.Id)
    sealed = secrets.seal(p.Password, secrets.context(ctx.account, p.Id, "password"))
    ctx.touched(hosted.store_sealed(ctx.account, p.Id, {"Password": sealed}))
    return {}
