"""SymmetricEncrypt (Guardzone's own action, not in the SDK): encrypt with a VSM secret key in a mode the
caller chooses (AES_GCM, AES_CBC(_PAD), AES_ECB, AES_KEY_WRAP(_PAD), SM4_ECB(_PAD), SM4_CBC(_PAD)), with
the caller's Iv, Aad and TagLength (layers/kms/raw_cipher.py). The key's material never leaves the
service. CiphertextBlob is the bare ciphertext (AES_GCM: ciphertext || tag), base64; Iv is the IV used
(the one given, or a random one), empty for modes without one."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Int64, Params, String
from layers.kms import raw_cipher
from layers.kms.params import b64decode, b64encode


class Input(Params):
    KeyId: String
    Algorithm: String
    Plaintext: String
    Iv: Optional[String] = None
    Aad: Optional[String] = None
    TagLength: Optional[Int64] = None


@action("SymmetricEncrypt", Input, region=REGION_OPTIONAL, resource_type="cmk", read_only=False)
def handle(p: Input, ctx: RequestContext) -> dict:
    alg = raw_cipher.algorithm(p.Algorithm)
    params = raw_cipher.params(alg, p.Iv, p.Aad, p.TagLength, encrypting=True)
    data = b64decode("Plaintext", p.Plaintext, code="InvalidParameterValue.InvalidPlaintext")
    key = raw_cipher.key_for(ctx, p.KeyId, alg, "SymmetricEncrypt", encrypting=True)
    return {"KeyId": key.key_id, "Algorithm": alg.name, "CiphertextBlob": b64encode(raw_cipher.encrypt(key, params, data)),
            "Iv": b64encode(params.iv)}
