"""GetPublicKey: an enabled asymmetric CMK's public key (SubjectPublicKeyInfo), base64 DER and PEM."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import errors, keys, material, usages
from layers.kms.params import b64encode


class Input(Params):
    KeyId: String


@action("GetPublicKey", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    key = keys.find(ctx, p.KeyId)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.usage.kind == usages.SYMMETRIC:
        raise errors.invalid_key_usage(key.key_id, key.usage.name, "GetPublicKey")
    keys.require_enabled(key, "GetPublicKey", archived_ok=True)
    der = material.public_der(key.usage.material, keys.secret(key))
    return {"KeyId": key.key_id, "PublicKey": b64encode(der), "PublicKeyPem": material.public_pem(der)}
