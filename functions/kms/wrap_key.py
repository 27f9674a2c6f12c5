"""WrapKey (Guardzone's own action, not in the SDK): the secret key TargetKeyId wrapped under the AES key
KeyId with AES_KEY_WRAP (RFC 3394) or AES_KEY_WRAP_PAD (RFC 5649), in the service; WrappedKey is base64.
Only imported material (Origin EXTERNAL) is wrapped (layers/kms/wrapped_keys.py)."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import wrapped_keys
from layers.kms.params import b64encode


class Input(Params):
    KeyId: String
    TargetKeyId: String
    Algorithm: String


@action("WrapKey", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    out = wrapped_keys.wrap(ctx, p.KeyId, p.TargetKeyId, p.Algorithm)
    return {**out, "WrappedKey": b64encode(out["WrappedKey"])}
