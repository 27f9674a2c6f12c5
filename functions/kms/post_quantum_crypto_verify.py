"""PostQuantumCryptoVerify: whether an ML-DSA signature over a message is valid for an ML-DSA CMK (an
archived key still verifies). An invalid signature is SignatureValid false, not an error."""
from layers.crypto import CryptoError, pqc
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import keys, usages
from layers.kms.params import b64decode
from layers.kms.signatures import message_bytes


class Input(Params):
    KeyId: String
    SignatureValue: String
    Message: String


@action("PostQuantumCryptoVerify", Input, region=REGION_OPTIONAL, resource_type="cmk", read_only=True,
        secret_params=("Message",))
def handle(p: Input, ctx: RequestContext) -> dict:
    message = message_bytes(p.Message, digest=False)
    signature = b64decode("SignatureValue", p.SignatureValue)
    key = keys.usable(ctx, p.KeyId, usages.PQ_SIGN, "PostQuantumCryptoVerify", archived_ok=True)
    ctx.touched(key.key_id, resource_type="cmk")
    try:
        pqc.verify(keys.secret(key).public_key(), signature, message)
    except CryptoError:
        return {"SignatureValid": False}
    return {"SignatureValid": True}
