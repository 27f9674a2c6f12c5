"""WrapKey / UnwrapKey (Guardzone's own actions): a VSM secret key wrapped under an AES key of the caller
with AES_KEY_WRAP (RFC 3394) or AES_KEY_WRAP_PAD (RFC 5649), and such bytes brought in as a new key.
Both run in the service; the material of either key is never answered in the clear.

Only material that came from outside (Origin EXTERNAL: ImportKeyMaterial, or UnwrapKey itself) is
wrapped: what KMS made never leaves the service, even wrapped. The key to wrap is a symmetric key (SM4
or AES) of the caller in the region, Enabled; the wrapping key an Enabled AES key (Archived too, for
unwrapping). An unwrapped key is an EXTERNAL key like an imported one (its MaterialDigest kept, so only
the same material can be imported into it again), Enabled at once, in the VSM HsmClusterId names.
"""
import uuid

from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError, invalid_value
from layers.kms import errors, imports, keys, material, raw_cipher, usages
from layers.kms.params import b64decode, check_alias, check_description

WRAP_ALGORITHMS = ("AES_KEY_WRAP", "AES_KEY_WRAP_PAD")


def wrap_algorithm(name: str) -> raw_cipher.Algorithm:
    if name not in WRAP_ALGORITHMS:
        raise invalid_value("Algorithm", f"must be one of {', '.join(WRAP_ALGORITHMS)}")
    return raw_cipher.ALGORITHMS[name]


def wrap(ctx: RequestContext, key_id: str, target_id: str, algorithm: str) -> dict:
    alg = wrap_algorithm(algorithm)
    wrapping = raw_cipher.key_for(ctx, key_id, alg, "WrapKey", encrypting=True)
    target = keys.find(ctx, target_id)
    ctx.touched(target.key_id, resource_type="cmk")
    if target.key_id == wrapping.key_id:
        raise invalid_value("TargetKeyId", "a key does not wrap itself")
    if target.usage.kind != usages.SYMMETRIC:
        raise errors.invalid_key_usage(target.key_id, target.usage.name, "WrapKey")
    if target.doc.get("Origin") != keys.ORIGIN_EXTERNAL:
        raise ApiError("UnsupportedOperation",
                       f"CMK `{target.key_id}` has key material made by KMS, which never leaves the service, even "
                       "wrapped: only imported material (ImportKeyMaterial, UnwrapKey) is wrapped.")
    keys.require_enabled(target, "WrapKey")
    params = raw_cipher.params(alg, None, None, None, encrypting=True)
    wrapped = raw_cipher.encrypt(wrapping, params, raw_cipher.material(target))
    return {"KeyId": wrapping.key_id, "TargetKeyId": target.key_id, "Algorithm": alg.name, "WrappedKey": wrapped}


def unwrap(ctx: RequestContext, key_id: str, algorithm: str, wrapped_text: str, usage_name: str, alias: str,
           description: str, hsm_cluster_id: str) -> dict:
    alg = wrap_algorithm(algorithm)
    usage = usages.USAGES.get(usage_name or "")
    if usage is None or usage.kind != usages.SYMMETRIC:
        names = [u.name for u in usages.USAGES.values() if u.kind == usages.SYMMETRIC]
        raise ApiError("InvalidParameterValue.InvalidKeyUsage", f"KeyUsage must be one of {', '.join(names)}.")
    alias, description = check_alias(alias), check_description(description)
    wrapped = b64decode("WrappedKey", wrapped_text, code="InvalidParameterValue.InvalidCiphertext")
    unwrapping = raw_cipher.key_for(ctx, key_id, alg, "UnwrapKey", encrypting=False)
    plain = raw_cipher.decrypt(unwrapping, raw_cipher.params(alg, None, None, None, encrypting=False), wrapped)
    size = material.SECRET_SIZES[usage.material]
    if len(plain) != size:
        raise ApiError("InvalidParameterValue.InvalidImportKeyMaterial",
                       f"The unwrapped key is {len(plain)} bytes; a {usage.name} key is {size} bytes.")
    new_id = str(uuid.uuid4())
    doc = keys.create(ctx, alias=alias, description=description, usage=usage, tags=[], hsm_cluster_id=hsm_cluster_id,
                      imported=plain, key_id=new_id,
                      extra={"MaterialDigest": imports.material_digest(ctx.account, new_id, plain)})
    ctx.touched(doc["KeyId"], resource_type="cmk")
    return doc
