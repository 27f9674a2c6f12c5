"""BindDeviceAccountPrivateKey: host a device account's SSH private key and its passphrase
(sealed; never returned). The key must be a PEM or OpenSSH private key of 128-8192 bytes."""
from typing import Annotated, Optional

from pydantic import AfterValidator, Field

from layers.bastion import hosted, secrets
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String, Uint64


def _private_key(v: str) -> str:
    size = len(v.encode("utf-8"))
    if not 128 <= size <= 8192:
        raise ValueError("must be 128 to 8192 bytes")
    text = v.strip()
    if not (text.startswith("-----BEGIN ") and "PRIVATE KEY-----" in text.splitlines()[0]
            and text.endswith("PRIVATE KEY-----")):
        raise ValueError("not a PEM or OpenSSH private key (-----BEGIN ... PRIVATE KEY-----)")
    return v


class Input(Params):
    Id: Uint64
    PrivateKey: Annotated[String, AfterValidator(_private_key)]
    PrivateKeyPassword: Optional[Annotated[String, Field(max_length=256)]] = None


@action("BindDeviceAccountPrivateKey", Input, region=REGION_IGNORED, resource_type="deviceaccount",
        secret_params=("PrivateKey", "PrivateKeyPassword"))
def handle(p: Input, ctx: RequestContext) -> dict:
    hosted.require(ctx.account, p.Id)
    key = secrets.seal(p.PrivateKey, secrets.context(ctx.account, p.Id, "private_key"))
    passphrase = (secrets.seal(p.PrivateKeyPassword, secrets.context(ctx.account, p.Id, "private_key_password"))
                  if p.PrivateKeyPassword else None)
    ctx.touched(hosted.store_sealed(ctx.account, p.Id, {"PrivateKey": key, "PrivateKeyPassword": passphrase}))
    return {}
