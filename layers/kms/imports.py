"""Imported key material (EXTERNAL CMKs): GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial.

GetParametersForImport makes an RSA 2048 wrapping key pair for one CMK and an import token, both
valid 24 hours. The private wrapping key is kept only sealed through the key store (wrapped by the
key's domain master key, bound to the key as its version 0, which no material version uses); the
token is kept as its SHA-256. ImportKeyMaterial opens the material with the private wrapping key
(the WrappingAlgorithm asked for), stores it sealed like every key's material (version 1) and drops
the wrapping key and the token: each token imports once. The material is 128 bits (an SM4 key, as in
Tencent Cloud's 国密 regions; 256 or 128 bits for Guardzone's ENCRYPT_DECRYPT_AES_256 / _128 keys); re-importing must bring the same material (checked against a SHA-256
of account, key and material, kept with the key), so what the key encrypted before still opens.
DeleteImportedKeyMaterial drops the material (the key is PendingImport again); so does ValidTo
passing (when the key is next used or read).
"""
import hashlib
import hmac
import secrets
import time
from typing import Tuple

from layers.crypto import CryptoError, rsa_keys
from layers.gateway.errors import ApiError, invalid_value
from layers.keystore import stored_keys
from layers.keystore.errors import UnwrapFailed
from layers.kms import errors, keys, material
from layers.kms.params import b64decode, b64encode
from layers.kms.public_encrypt import RSA_PADDINGS

WRAPPING_ALGORITHMS = tuple(RSA_PADDINGS)          # RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256
WRAPPING_KEY_SPECS = ("RSA_2048",)
PARAMETERS_SECONDS = 24 * 3600
MAX_VALID_TO = 2147443200
WRAPPING_VERSION = 0          # the key-store slot of a key's private wrapping key (material starts at 1)


def _external(ctx, key_id: str) -> keys.Key:
    key = keys.find(ctx, key_id)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.doc.get("Origin") != keys.ORIGIN_EXTERNAL:
        raise errors.not_external(key.key_id)
    return key


def _importable(key: keys.Key, operation: str) -> None:
    """Only Enabled and PendingImport keys take material."""
    if key.state in (keys.ENABLED, keys.PENDING_IMPORT):
        return
    if key.state == keys.DISABLED:
        raise errors.cmk_disabled(key.key_id)
    if key.state == keys.ARCHIVED:
        raise errors.cmk_archived(key.key_id, operation)
    raise errors.cmk_state(key.key_id, "pending deletion", operation)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def material_digest(account: str, key_id: str, plain: bytes) -> str:
    """What a key keeps of imported material (MaterialDigest), to let only the same material in again."""
    return hashlib.sha256(b"|".join([b"guardzone-kms-import-v1", account.encode(), key_id.encode(),
                                     plain])).hexdigest()


def _material_digest(key: keys.Key, plain: bytes) -> str:
    return material_digest(key.account, key.key_id, plain)


def parameters(ctx, key_id: str, algorithm: str) -> dict:
    key = _external(ctx, key_id)
    _importable(key, "GetParametersForImport")
    private = rsa_keys.generate_private_key(2048)
    valid_to = int(time.time()) + PARAMETERS_SECONDS
    # Hex: a token that began with "-" (1 in 64 of URL-safe base64) would read as an option to tccli.
    token = secrets.token_hex(32)
    sealed = stored_keys.wrap(key.domain, key.key_id, WRAPPING_VERSION, rsa_keys.private_key_to_der(private))
    keys.change(key, {"Import": {"Token": _token_digest(token), "WrappingKey": sealed, "Algorithm": algorithm,
                                 "ValidTo": valid_to}})
    return {"KeyId": key.key_id, "ImportToken": token,
            "PublicKey": b64encode(rsa_keys.public_key_to_der(private.public_key())), "ParametersValidTo": valid_to}


def _check_valid_to(valid_to, now: int) -> int:
    if not valid_to:
        return 0
    if not now < valid_to <= MAX_VALID_TO:
        raise invalid_value("ValidTo", f"must be 0 (never expires) or a Unix time after now, at most {MAX_VALID_TO}")
    return int(valid_to)


def _open(key: keys.Key, token: str, encrypted: str, now: int) -> Tuple[bytes, dict]:
    pending = key.doc.get("Import") or {}
    if not pending or not hmac.compare_digest(pending["Token"], _token_digest(token or "")):
        raise invalid_value("ImportToken", f"not an import token of CMK `{key.key_id}` (see GetParametersForImport; "
                            "a token imports once)")
    if int(pending["ValidTo"]) <= now:
        raise ApiError("ResourceUnavailable.TokenExpired",
                       "The import token and wrapping public key expired; call GetParametersForImport again.")
    raw = b64decode("EncryptedKeyMaterial", encrypted)
    try:
        private = material.load("RSA_2048", stored_keys.unwrap(key.domain, key.key_id, WRAPPING_VERSION,
                                                               pending["WrappingKey"]))
    except UnwrapFailed:
        raise ApiError("FailedOperation", f"The wrapping key of CMK `{key.key_id}` cannot be opened.") from None
    padding, digest = RSA_PADDINGS[pending["Algorithm"]]
    try:
        plain = rsa_keys.decrypt(private, raw, padding, digest)
    except (CryptoError, ValueError):
        raise ApiError("InvalidParameter.DecryptMaterialError",
                       "EncryptedKeyMaterial does not decrypt with the wrapping key and "
                       f"{pending['Algorithm']} of the token's GetParametersForImport.") from None
    return plain, pending


def import_material(ctx, key_id: str, token: str, encrypted: str, valid_to) -> None:
    key = _external(ctx, key_id)
    now = int(time.time())
    valid_to = _check_valid_to(valid_to, now)
    _importable(key, "ImportKeyMaterial")
    plain, _ = _open(key, token, encrypted, now)
    size = material.SECRET_SIZES[key.usage.material]
    if len(plain) != size:
        raise ApiError("InvalidParameterValue.InvalidImportKeyMaterial",
                       f"The key material of a {key.usage.name} key must be {size * 8} bits ({size} bytes) "
                       "before wrapping.")
    digest = _material_digest(key, plain)
    previous = key.doc.get("MaterialDigest")
    if previous and not hmac.compare_digest(previous, digest):
        raise ApiError("InvalidParameterValue.MaterialNotMatch",
                       f"CMK `{key.key_id}` had other key material before: only the same material can be imported again.")
    sealed = stored_keys.wrap(key.domain, key.key_id, 1, plain)
    keys.drop_material(key)
    keys.change(key, {"Material": {"1": sealed}, "Current": 1, "KeyState": keys.ENABLED, "ValidTo": valid_to,
                      "MaterialDigest": digest}, remove=("Import",))


def delete_material(ctx, key_id: str) -> None:
    key = _external(ctx, key_id)
    if key.state == keys.PENDING_DELETE:
        raise errors.cmk_state(key.key_id, "pending deletion", "DeleteImportedKeyMaterial")
    if key.state == keys.PENDING_IMPORT and not key.doc.get("Material"):
        return
    keys.drop_material(key)
    keys.change(key, {"Material": {}, "KeyState": keys.PENDING_IMPORT, "ValidTo": 0})
