"""Encrypting under a symmetric CMK and opening CiphertextBlobs (Encrypt, Decrypt, ReEncrypt,
GenerateDataKey)."""
from typing import Tuple

from layers.gateway.action import RequestContext
from layers.kms import blob, errors, keys, usages

MAX_PLAINTEXT = 4096


def encrypt(ctx: RequestContext, key: keys.Key, plaintext: bytes, context: str) -> str:
    version = keys.current_version(key)
    return blob.seal(keys.secret(key, version), key.usage.material, key.key_id, version, plaintext,
                     account=ctx.account, region=keys.region_of(ctx), context=context)


def decrypt(ctx: RequestContext, text: str, context: str, operation: str) -> Tuple[keys.Key, bytes, blob.Blob]:
    """(the key, the plaintext, the parsed blob) of a CiphertextBlob."""
    parsed = blob.parse(text)
    key = keys.find(ctx, parsed.key_id)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.usage.kind != usages.SYMMETRIC or key.usage.material != parsed.algorithm:
        raise errors.invalid_ciphertext(f"CMK `{key.key_id}` does not make CiphertextBlobs")
    keys.require_enabled(key, operation, archived_ok=True)      # an archived key still decrypts
    material = keys.secret(key, parsed.version)
    if material is None:
        raise errors.invalid_ciphertext(f"CMK `{key.key_id}` has no version {parsed.version}")
    return key, blob.open_blob(parsed, material, account=ctx.account, region=keys.region_of(ctx),
                               context=context), parsed
