"""Key rotation: only symmetric (ENCRYPT_DECRYPT) keys rotate. A rotation adds a new version of the
key material and encrypts with it from then on; every older version stays to decrypt what it
encrypted. Scheduled rotation happens when the key is next used for encryption after
NextRotateTime (or by the hourly kms_key_maintenance schedule); RotateKey rotates at once,
at most once a day. EXTERNAL keys (imported material) never rotate."""
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError
from layers.kms import keys

MIN_DAYS, MAX_DAYS = 7, 365
MANUAL_INTERVAL = keys.DAY


def rotatable(ctx: RequestContext, key_id: str, operation: str) -> keys.Key:
    key = keys.find(ctx, key_id)
    ctx.touched(key.key_id, resource_type="cmk")
    if not keys.is_symmetric(key):
        raise ApiError("UnsupportedOperation.RotateNotSupported",
                       f"CMK `{key.key_id}` is a {key.doc['KeyUsage']} key: only ENCRYPT_DECRYPT keys rotate.")
    if key.doc.get("Origin") == keys.ORIGIN_EXTERNAL:
        raise ApiError("UnsupportedOperation.ExternalCmkCanNotRotate",
                       f"CMK `{key.key_id}` has imported key material, which does not rotate.")
    keys.require_enabled(key, operation)
    return key
