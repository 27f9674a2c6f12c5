"""PostQuantumCryptoDecrypt: open what PostQuantumCryptoEncrypt made (an archived key still decrypts);
optionally return the plaintext encrypted to the caller's EncryptionPublicKey (as Decrypt does)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import errors, keys, pq_envelope, public_encrypt, usages
from layers.kms.params import b64encode


class Input(Params):
    CiphertextBlob: String
    EncryptionPublicKey: Optional[String] = None
    EncryptionAlgorithm: Optional[String] = None


@action("PostQuantumCryptoDecrypt", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    envelope = pq_envelope.parse(p.CiphertextBlob)
    key = keys.find(ctx, envelope.key_id)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.usage.kind != usages.PQ_DECRYPT or key.usage.material != envelope.algorithm:
        raise errors.invalid_ciphertext(f"CMK `{key.key_id}` does not make post-quantum CiphertextBlobs")
    keys.require_enabled(key, "PostQuantumCryptoDecrypt", archived_ok=True)
    private_key = keys.secret(key, envelope.version)
    if private_key is None:
        raise errors.invalid_ciphertext(f"CMK `{key.key_id}` has no version {envelope.version}")
    plaintext = pq_envelope.open_envelope(envelope, private_key, account=ctx.account, region=keys.region_of(ctx))
    sealed = public_encrypt.encrypt_for(p.EncryptionPublicKey, p.EncryptionAlgorithm, plaintext)
    return {"KeyId": key.key_id, "PlainText": b64encode(plaintext if sealed is None else sealed)}
