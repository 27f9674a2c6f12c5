"""PostQuantumCryptoEncrypt: up to 4 KB under an ML-KEM CMK (ASYMMETRIC_DECRYPT_ML_KEM_*), as a hybrid
envelope: ML-KEM encapsulation to the key's public key + AES-256-GCM under the shared secret
(layers/kms/pq_envelope.py). Only PostQuantumCryptoDecrypt opens the CiphertextBlob."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import ciphertexts, errors, keys, pq_envelope, usages
from layers.kms.params import b64decode


class Input(Params):
    KeyId: String
    PlainText: String


@action("PostQuantumCryptoEncrypt", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    plaintext = b64decode("PlainText", p.PlainText, code="InvalidParameterValue.InvalidPlaintext")
    if not 1 <= len(plaintext) <= ciphertexts.MAX_PLAINTEXT:
        raise errors.invalid_plaintext(f"it must be 1 to {ciphertexts.MAX_PLAINTEXT} bytes before base64 encoding")
    key = keys.usable(ctx, p.KeyId, usages.PQ_DECRYPT, "PostQuantumCryptoEncrypt")
    ctx.touched(key.key_id, resource_type="cmk")
    blob = pq_envelope.seal(keys.secret(key).public_key(), key.usage.material, key.key_id, key.current, plaintext,
                            account=ctx.account, region=keys.region_of(ctx))
    return {"CiphertextBlob": blob, "KeyId": key.key_id}
