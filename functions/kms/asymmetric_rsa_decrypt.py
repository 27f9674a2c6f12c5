"""AsymmetricRsaDecrypt: decrypt what was encrypted to an ASYMMETRIC_DECRYPT_RSA_2048 CMK's public key.
With RSAES_PKCS1_V1_5 a wrong or modified ciphertext decrypts to random bytes instead of failing
(implicit rejection, no padding oracle); the OAEP algorithms detect it."""
from typing import Literal

from layers.crypto import CryptoError, rsa_keys
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import errors, keys, usages
from layers.kms.params import b64decode, b64encode
from layers.kms.public_encrypt import RSA_PADDINGS

MODULUS_BYTES = 256


class Input(Params):
    KeyId: String
    Ciphertext: String
    Algorithm: Literal["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]


@action("AsymmetricRsaDecrypt", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    raw = b64decode("Ciphertext", p.Ciphertext, code="InvalidParameterValue.InvalidCiphertext")
    if len(raw) != MODULUS_BYTES:
        raise errors.invalid_ciphertext(f"an RSA 2048 ciphertext is {MODULUS_BYTES} bytes before base64 encoding")
    key = keys.usable(ctx, p.KeyId, usages.DECRYPT, "AsymmetricRsaDecrypt", archived_ok=True)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.usage.material != "RSA_2048":
        raise errors.invalid_key_usage(key.key_id, key.usage.name, "AsymmetricRsaDecrypt")
    padding, digest = RSA_PADDINGS[p.Algorithm]
    try:
        plaintext = rsa_keys.decrypt(keys.secret(key), raw, padding, digest)
    except CryptoError:
        raise errors.decrypt_error("the ciphertext was not made with this key's public key and "
                                   f"{p.Algorithm}, or was modified") from None
    return {"KeyId": key.key_id, "Plaintext": b64encode(plaintext)}
