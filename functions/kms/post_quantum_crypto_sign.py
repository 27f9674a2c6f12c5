"""PostQuantumCryptoSign: sign a message (up to 4096 bytes) with an ML-DSA CMK
(ASYMMETRIC_SIGN_VERIFY_ML_DSA_*): pure ML-DSA (FIPS 204) with an empty context; base64 signature."""
from layers.crypto import pqc
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import keys, usages
from layers.kms.params import b64encode
from layers.kms.signatures import message_bytes


class Input(Params):
    Message: String
    KeyId: String


@action("PostQuantumCryptoSign", Input, region=REGION_OPTIONAL, resource_type="cmk", secret_params=("Message",))
def handle(p: Input, ctx: RequestContext) -> dict:
    message = message_bytes(p.Message, digest=False)
    key = keys.usable(ctx, p.KeyId, usages.PQ_SIGN, "PostQuantumCryptoSign")
    ctx.touched(key.key_id, resource_type="cmk")
    return {"Signature": b64encode(pqc.sign(keys.secret(key), message))}
