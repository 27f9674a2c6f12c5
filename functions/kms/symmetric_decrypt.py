"""SymmetricDecrypt (Guardzone's own action, not in the SDK): the inverse of SymmetricEncrypt with the
same KeyId, Algorithm, Iv, Aad and TagLength (layers/kms/raw_cipher.py). An archived key still
decrypts. A ciphertext of the wrong length is InvalidParameterValue.InvalidCiphertext; one that does not
open (GCM tag, padding, key-wrap integrity check) is FailedOperation.DecryptError."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Int64, Params, String
from layers.kms import raw_cipher
from layers.kms.params import b64decode, b64encode


class Input(Params):
    KeyId: String
    Algorithm: String
    CiphertextBlob: String
    Iv: Optional[String] = None
    Aad: Optional[String] = None
    TagLength: Optional[Int64] = None


@action("SymmetricDecrypt", Input, region=REGION_OPTIONAL, resource_type="cmk", read_only=False)
def handle(p: Input, ctx: RequestContext) -> dict:
    alg = raw_cipher.algorithm(p.Algorithm)
    params = raw_cipher.params(alg, p.Iv, p.Aad, p.TagLength, encrypting=False)
    data = b64decode("CiphertextBlob", p.CiphertextBlob, code="InvalidParameterValue.InvalidCiphertext")
    key = raw_cipher.key_for(ctx, p.KeyId, alg, "SymmetricDecrypt", encrypting=False)
    return {"KeyId": key.key_id, "Algorithm": alg.name, "Plaintext": b64encode(raw_cipher.decrypt(key, params, data))}
