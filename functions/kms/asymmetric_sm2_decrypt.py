"""AsymmetricSm2Decrypt: decrypt what was encrypted to an ASYMMETRIC_DECRYPT_SM2 CMK's public key.
The ciphertext is C1C3C2 in ASN.1 (GM/T 0009, what OpenSSL writes), at most 256 bytes; the raw
C1||C3||C2 form is accepted too."""
from layers.crypto import CryptoError, sm2
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import errors, keys, usages
from layers.kms.params import b64decode, b64encode

MAX_CIPHERTEXT = 256
_DER_SEQUENCE = 0x30


class Input(Params):
    KeyId: String
    Ciphertext: String


@action("AsymmetricSm2Decrypt", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    raw = b64decode("Ciphertext", p.Ciphertext, code="InvalidParameterValue.InvalidCiphertext")
    if not raw or len(raw) > MAX_CIPHERTEXT:
        raise errors.invalid_ciphertext(f"it must be 1 to {MAX_CIPHERTEXT} bytes before base64 encoding")
    key = keys.usable(ctx, p.KeyId, usages.DECRYPT, "AsymmetricSm2Decrypt", archived_ok=True)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.usage.material != "SM2":
        raise errors.invalid_key_usage(key.key_id, key.usage.name, "AsymmetricSm2Decrypt")
    try:
        ciphertext = sm2.ciphertext_from_der(raw) if raw[0] == _DER_SEQUENCE else raw
    except CryptoError:
        raise errors.invalid_ciphertext("not an SM2 C1C3C2 ciphertext") from None
    try:
        plaintext = keys.secret(key).decrypt(ciphertext)
    except CryptoError:
        raise errors.decrypt_error("the ciphertext was not made with this key's public key, or was modified") from None
    return {"KeyId": key.key_id, "Plaintext": b64encode(plaintext)}
