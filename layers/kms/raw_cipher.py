"""The raw symmetric cipher (Guardzone's own SymmetricEncrypt / SymmetricDecrypt): a mode, IV, AAD and
tag length the caller chooses, run on a VSM secret key whose material never leaves the service.

    Algorithm          key                       Iv                               data
    AES_GCM            ENCRYPT_DECRYPT_AES_*     12-128 bytes (encrypt: random 12 if none)   ciphertext || tag
    AES_CBC(_PAD)      ENCRYPT_DECRYPT_AES_*     16 bytes (encrypt: random if none)  unpadded: a multiple of 16
    AES_ECB            ENCRYPT_DECRYPT_AES_*     none                             a multiple of 16
    AES_KEY_WRAP       ENCRYPT_DECRYPT_AES_*     none (or RFC 3394's default)     RFC 3394: 16+ bytes, a multiple of 8
    AES_KEY_WRAP_PAD   ENCRYPT_DECRYPT_AES_*     none (or RFC 5649's default)     RFC 5649: 1+ bytes
    SM4_ECB(_PAD)      ENCRYPT_DECRYPT (SM4)     none                             unpadded: a multiple of 16
    SM4_CBC(_PAD)      ENCRYPT_DECRYPT (SM4)     16 bytes (encrypt: random if none)  unpadded: a multiple of 16

_PAD is PKCS#7. Aad and TagLength (bits: 96, 104, 112, 120, 128; default 128) are for AES_GCM only.
The cipher uses the key's first material (version 1; for a KMS-made SM4 key a subkey of it, see material()): a PKCS#11 key's value never changes, so a
rotation of an SM4 key (which moves Encrypt to new material) does not change what these answer.
"""
from dataclasses import dataclass
from typing import Optional

from layers.crypto import CryptoError, DecryptionFailed, InvalidInput, keywrap, mac, random_bytes, symmetric
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError, invalid_value
from layers.kms import errors, keys, usages
from layers.kms.params import b64decode

MAX_DATA = 32768                     # bytes before base64, in or out
RAW_VERSION = 1                      # the material the raw cipher uses
BLOCK = 16
GCM_IV_DEFAULT, GCM_IV_RANGE = 12, (12, 128)
GCM_TAG_BITS = (96, 104, 112, 120, 128)
KW_DEFAULT_IV = {"KW": bytes.fromhex("a6a6a6a6a6a6a6a6"), "KWP": bytes.fromhex("a65959a6")}


@dataclass(frozen=True)
class Algorithm:
    name: str
    family: str                      # "AES" | "SM4": the key material it needs
    mode: str                        # "GCM" | "CBC" | "ECB" | "KW" | "KWP"
    pad: bool = False                # PKCS#7 (CBC, ECB)


ALGORITHMS = {a.name: a for a in (
    Algorithm("AES_GCM", "AES", "GCM"),
    Algorithm("AES_CBC", "AES", "CBC"), Algorithm("AES_CBC_PAD", "AES", "CBC", True),
    Algorithm("AES_ECB", "AES", "ECB"),
    Algorithm("AES_KEY_WRAP", "AES", "KW"), Algorithm("AES_KEY_WRAP_PAD", "AES", "KWP"),
    Algorithm("SM4_ECB", "SM4", "ECB"), Algorithm("SM4_ECB_PAD", "SM4", "ECB", True),
    Algorithm("SM4_CBC", "SM4", "CBC"), Algorithm("SM4_CBC_PAD", "SM4", "CBC", True),
)}


@dataclass(frozen=True)
class Params:
    algorithm: Algorithm
    iv: bytes
    aad: bytes
    tag_bytes: int


def algorithm(name: str) -> Algorithm:
    found = ALGORITHMS.get(name or "")
    if found is None:
        raise invalid_value("Algorithm", f"must be one of {', '.join(ALGORITHMS)}")
    return found


def family_of(key: keys.Key) -> str:
    return "SM4" if key.usage.material == "SM4" else "AES"


def key_for(ctx: RequestContext, key_id: str, alg: Algorithm, operation: str, *, encrypting: bool) -> keys.Key:
    """The caller's secret key for the algorithm: Enabled (Archived too, for decrypting)."""
    key = keys.find(ctx, key_id)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.usage.kind != usages.SYMMETRIC:
        raise errors.invalid_key_usage(key.key_id, key.usage.name, operation)
    if family_of(key) != alg.family:
        need = "ENCRYPT_DECRYPT_AES_256 or ENCRYPT_DECRYPT_AES_128" if alg.family == "AES" else "ENCRYPT_DECRYPT (SM4)"
        raise ApiError("InvalidParameterValue.InvalidKeyUsage",
                       f"CMK `{key.key_id}` is a {key.usage.name} key: {alg.name} needs a {need} key.")
    keys.require_enabled(key, operation, archived_ok=not encrypting)
    return key


def material(key: keys.Key) -> bytes:
    """The key the raw modes run with. An SM4 key's Encrypt blobs are sealed with its material itself
    (GCM: counter mode over the block function), so where the VSM made that material the raw modes
    take a subkey of it instead: ECB on the material would open and forge those blobs. Imported
    material is the raw key itself (its owner knows it anyway); AES blobs use a subkey of their own."""
    secret = keys.secret(key, RAW_VERSION)
    if secret is None:
        raise errors.cmk_state(key.key_id, key.state, "the raw cipher")
    if family_of(key) == "SM4" and key.doc.get("Origin") != keys.ORIGIN_EXTERNAL:
        return mac.hmac("SHA256", secret, b"guardzone-raw-sm4-v1")[:len(secret)]
    return secret


def params(alg: Algorithm, iv: Optional[str], aad: Optional[str], tag_length: Optional[int], *,
           encrypting: bool) -> Params:
    """The checked Iv, Aad and tag length for an algorithm (a random IV when encrypting without one)."""
    iv_bytes = b64decode("Iv", iv) if iv else b""
    aad_bytes = b64decode("Aad", aad) if aad else b""
    if alg.mode != "GCM":
        if aad_bytes:
            raise invalid_value("Aad", f"only AES_GCM takes associated data, not {alg.name}")
        if tag_length is not None:
            raise invalid_value("TagLength", f"only AES_GCM has a tag, not {alg.name}")
    if len(aad_bytes) > MAX_DATA:
        raise invalid_value("Aad", f"must be at most {MAX_DATA} bytes before base64 encoding")
    tag_bytes = 0
    if alg.mode == "GCM":
        bits = 128 if tag_length is None else tag_length
        if bits not in GCM_TAG_BITS:
            raise invalid_value("TagLength", f"must be one of {', '.join(map(str, GCM_TAG_BITS))} (bits)")
        tag_bytes = bits // 8
        if not iv_bytes and encrypting:
            iv_bytes = random_bytes(GCM_IV_DEFAULT)
        low, high = GCM_IV_RANGE
        if not low <= len(iv_bytes) <= high:
            raise invalid_value("Iv", f"AES_GCM needs an IV of {low} to {high} bytes (12 recommended)")
    elif alg.mode == "CBC":
        if not iv_bytes and encrypting:
            iv_bytes = random_bytes(BLOCK)
        if len(iv_bytes) != BLOCK:
            raise invalid_value("Iv", f"{alg.name} needs a {BLOCK}-byte IV")
    elif alg.mode == "ECB":
        if iv_bytes:
            raise invalid_value("Iv", f"{alg.name} takes no IV")
    elif iv_bytes and iv_bytes != KW_DEFAULT_IV[alg.mode]:
        raise invalid_value("Iv", f"{alg.name} uses the standard's default IV "
                                  f"({KW_DEFAULT_IV[alg.mode].hex().upper()}) only")
    return Params(alg, iv_bytes if alg.mode in ("GCM", "CBC") else b"", aad_bytes, tag_bytes)


def _cipher_name(key: keys.Key) -> str:
    return key.usage.material.replace("_", "")          # SM4, AES256, AES128


def encrypt(key: keys.Key, p: Params, data: bytes) -> bytes:
    alg = p.algorithm
    if len(data) > MAX_DATA:
        raise errors.invalid_plaintext(f"it must be at most {MAX_DATA} bytes before base64 encoding")
    if alg.mode in ("CBC", "ECB") and not alg.pad and len(data) % BLOCK:
        raise errors.invalid_plaintext(f"{alg.name} (no padding) encrypts a multiple of {BLOCK} bytes")
    if alg.mode in ("KW", "KWP"):
        try:
            keywrap.check_data(data, pad=alg.mode == "KWP")
        except InvalidInput as exc:
            raise errors.invalid_plaintext(f"{alg.name}: {exc}") from None
    secret = material(key)
    if alg.mode == "GCM":
        ciphertext, tag = symmetric.gcm_encrypt(_cipher_name(key), secret, p.iv, data, aad=p.aad,
                                                tag_length=p.tag_bytes)
        return ciphertext + tag
    if alg.mode in ("KW", "KWP"):
        return keywrap.wrap(secret, data, pad=alg.mode == "KWP")
    return symmetric.encrypt(_cipher_name(key), alg.mode, secret, data,
                             iv=p.iv if alg.mode == "CBC" else None, padding=alg.pad)


def decrypt(key: keys.Key, p: Params, data: bytes) -> bytes:
    alg = p.algorithm
    if len(data) > MAX_DATA + BLOCK:
        raise errors.invalid_ciphertext(f"it must be at most {MAX_DATA + BLOCK} bytes before base64 encoding")
    if alg.mode in ("CBC", "ECB") and (len(data) % BLOCK or (alg.pad and not data)):
        raise errors.invalid_ciphertext(f"{alg.name} ciphertext is a {'non-empty ' if alg.pad else ''}"
                                        f"multiple of {BLOCK} bytes")
    if alg.mode == "GCM" and len(data) < p.tag_bytes:
        raise errors.invalid_ciphertext(f"AES_GCM ciphertext ends with its {p.tag_bytes}-byte tag")
    if alg.mode in ("KW", "KWP"):
        try:
            keywrap.check_wrapped(data, pad=alg.mode == "KWP")
        except InvalidInput as exc:
            raise errors.invalid_ciphertext(f"{alg.name}: {exc}") from None
    secret = material(key)
    try:
        if alg.mode == "GCM":
            cut = len(data) - p.tag_bytes
            return symmetric.gcm_decrypt(_cipher_name(key), secret, p.iv, data[:cut], data[cut:], aad=p.aad)
        if alg.mode in ("KW", "KWP"):
            return keywrap.unwrap(secret, data, pad=alg.mode == "KWP")
        return symmetric.decrypt(_cipher_name(key), alg.mode, secret, data,
                                 iv=p.iv if alg.mode == "CBC" else None, padding=alg.pad)
    except DecryptionFailed:
        what = {"GCM": "the tag does not match (wrong key, IV, AAD or tag length, or modified data)",
                "KW": "the integrity check failed (wrong key, or modified data)",
                "KWP": "the integrity check failed (wrong key, or modified data)"}.get(alg.mode, "the padding is invalid")
        raise errors.decrypt_error(what) from None
    except CryptoError as exc:
        raise errors.invalid_ciphertext(str(exc)) from None
