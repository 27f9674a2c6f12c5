"""Enabling and disabling keys, one or many; a key pending deletion can be neither until the
deletion is cancelled. Batches check every key before changing any."""
from typing import List

from layers.gateway.action import RequestContext
from layers.kms import errors, keys
from layers.kms.params import check_key_ids

MAX_BATCH = 100


def _check(key: keys.Key, operation: str) -> None:
    if key.state == keys.PENDING_DELETE:
        raise errors.cmk_state(key.key_id, "pending deletion", operation)
    if key.state == keys.PENDING_IMPORT:
        raise errors.cmk_state(key.key_id, "waiting for its key material (ImportKeyMaterial)", operation)
    if key.state == keys.ARCHIVED:
        raise errors.cmk_archived(key.key_id, operation)


def set_state(ctx: RequestContext, key_ids: List[str], state: str, operation: str) -> None:
    check_key_ids(key_ids)
    found = [keys.find(ctx, key_id) for key_id in key_ids]
    for key in found:
        _check(key, operation)
    for key in found:
        if key.state != state:
            keys.change(key, {"KeyState": state})
    ctx.touched(*key_ids, resource_type="cmk")
