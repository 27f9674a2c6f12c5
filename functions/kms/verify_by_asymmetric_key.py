"""VerifyByAsymmetricKey: whether a signature over a message (RAW) or digest (DIGEST) is valid for an
ASYMMETRIC_SIGN_VERIFY_* CMK. An invalid signature is SignatureValid false, not an error."""
from typing import Literal, Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import keys, signing, usages
from layers.kms.params import b64decode
from layers.kms.signatures import check_algorithm, message_bytes


class Input(Params):
    KeyId: String
    SignatureValue: String
    Message: String
    Algorithm: String
    MessageType: Optional[Literal["RAW", "DIGEST"]] = None


@action("VerifyByAsymmetricKey", Input, region=REGION_OPTIONAL, resource_type="cmk", read_only=True,
        secret_params=("Message",))
def handle(p: Input, ctx: RequestContext) -> dict:
    digest = p.MessageType == "DIGEST"
    message = message_bytes(p.Message, digest)
    signature = b64decode("SignatureValue", p.SignatureValue)
    key = keys.usable(ctx, p.KeyId, usages.SIGN, "VerifyByAsymmetricKey", archived_ok=True)
    ctx.touched(key.key_id, resource_type="cmk")
    check_algorithm(key, p.Algorithm)
    return {"SignatureValid": signing.verify(p.Algorithm, keys.secret(key), signature, message, digest)}
