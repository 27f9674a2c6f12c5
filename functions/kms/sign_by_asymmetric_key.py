"""SignByAsymmetricKey: sign a message (RAW, up to 4096 bytes) or its 32-byte digest (DIGEST) with
an ASYMMETRIC_SIGN_VERIFY_* CMK. The signature is DER, base64."""
from typing import Literal, Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import keys, signing, usages
from layers.kms.params import b64encode
from layers.kms.signatures import check_algorithm, message_bytes


class Input(Params):
    Algorithm: String
    Message: String
    KeyId: String
    MessageType: Optional[Literal["RAW", "DIGEST"]] = None


@action("SignByAsymmetricKey", Input, region=REGION_OPTIONAL, resource_type="cmk", secret_params=("Message",))
def handle(p: Input, ctx: RequestContext) -> dict:
    digest = p.MessageType == "DIGEST"
    message = message_bytes(p.Message, digest)
    key = keys.usable(ctx, p.KeyId, usages.SIGN, "SignByAsymmetricKey")
    ctx.touched(key.key_id, resource_type="cmk")
    check_algorithm(key, p.Algorithm)
    return {"Signature": b64encode(signing.sign(p.Algorithm, keys.secret(key), message, digest))}
