"""Which cloud resources use a CMK (BindCloudResource / UnbindCloudResource), kept on the key itself:

    Bindings     [{ProductId, ResourceId}, ...]  absent when there are none
    BindingsRev  bumped on every change, so concurrent binds and unbinds do not lose each other's

A key with any binding cannot be scheduled for deletion (FailedOperation.CmkUsedByCloudProduct):
ScheduleKeyDeletion's write expects `Bindings` to be absent, so a bind racing it wins or fails cleanly.
Binding also cancels the key's automatic expiry (as the API describes): the ValidTo of imported
material is cleared, so the key does not fall back to PendingImport under the resource using it.
"""
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError
from layers.kms import errors, keys
from layers.stores import kms_keys

MAX_PRODUCT_ID, MAX_RESOURCE_ID = 64, 256
MAX_BINDINGS = 100            # per key
_ATTEMPTS = 3


def check(product_id: str, resource_id: str) -> None:
    for name, value, most in (("ProductId", product_id, MAX_PRODUCT_ID), ("ResourceId", resource_id, MAX_RESOURCE_ID)):
        if not value or not value.strip() or len(value) > most:
            raise ApiError("InvalidParameter", f"`{name}` must be 1 to {most} characters, not blank.")


def of(doc: dict) -> list:
    return list(doc.get("Bindings") or [])


def is_bound(doc: dict) -> bool:
    return bool(doc.get("Bindings"))


def used_by_cloud_product(key_id: str) -> ApiError:
    return ApiError("FailedOperation.CmkUsedByCloudProduct",
                    f"CMK `{key_id}` is used by a cloud resource (BindCloudResource); UnbindCloudResource first.")


def _write(key: keys.Key, bindings: list, extra: dict) -> bool:
    rev = key.doc.get("BindingsRev")
    changes = {**extra, "BindingsRev": int(rev or 0) + 1}
    if bindings:
        changes["Bindings"] = bindings
    updated = kms_keys.update(key.account, key.key_id, changes, {"KeyState": key.state, "BindingsRev": rev},
                              () if bindings else ("Bindings",))
    keys.forget(key.account, key.key_id)
    return updated


def bind(ctx: RequestContext, key_id: str, product_id: str, resource_id: str) -> None:
    """Record the binding (already recorded: nothing to do) and cancel the key's automatic expiry."""
    wanted = {"ProductId": product_id, "ResourceId": resource_id}
    for _ in range(_ATTEMPTS):
        key = keys.find(ctx, key_id)
        ctx.touched(key.key_id, resource_type="cmk")
        if key.state == keys.PENDING_DELETE:
            raise errors.cmk_state(key.key_id, "pending deletion", "BindCloudResource")
        current = of(key.doc)
        expiring = key.doc.get("Origin") == keys.ORIGIN_EXTERNAL and int(key.doc.get("ValidTo") or 0) > 0
        if wanted in current and not expiring:
            return
        if wanted not in current and len(current) >= MAX_BINDINGS:
            raise ApiError("FailedOperation", f"CMK `{key.key_id}` already records {MAX_BINDINGS} bound resources.")
        bindings = current if wanted in current else current + [wanted]
        if _write(key, bindings, {"ValidTo": 0} if expiring else {}):
            return
    raise ApiError("FailedOperation", f"CMK `{key_id}` was changed by other requests meanwhile; try again.")


def unbind(ctx: RequestContext, key_id: str, product_id: str, resource_id: str) -> None:
    wanted = {"ProductId": product_id, "ResourceId": resource_id}
    for _ in range(_ATTEMPTS):
        key = keys.find(ctx, key_id)
        ctx.touched(key.key_id, resource_type="cmk")
        current = of(key.doc)
        if wanted not in current:
            raise ApiError("ResourceUnavailable.CloudResourceBindingNotFound",
                           f"CMK `{key.key_id}` is not bound to resource `{resource_id}` of `{product_id}`.")
        if _write(key, [b for b in current if b != wanted], {}):
            return
    raise ApiError("FailedOperation", f"CMK `{key_id}` was changed by other requests meanwhile; try again.")
