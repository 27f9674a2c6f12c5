"""The hourly sweep over every account's keys: keys past their deletion date are deleted with all
their material, and keys whose scheduled rotation is due are rotated; hosted data keys past their
deletion date are deleted. Requests do the same for the
keys they touch; the sweep covers keys nobody touches."""
import logging
import time
from typing import Optional

from layers.keystore import domains
from layers.keystore.errors import KeystoreError
from layers.kms import data_keys, keys
from layers.stores import data_keys as data_key_store, kms_keys

log = logging.getLogger("guardzone.kms")


def run(now: Optional[int] = None) -> dict:
    now = int(time.time()) if now is None else now
    deleted = rotated = 0
    for account, doc in kms_keys.needing_care(now):
        try:
            keys.forget(account, doc["KeyId"])
            if keys.expired(doc, now):
                if keys.purge(account, doc, {"KeyState": keys.PENDING_DELETE, "DeletionDate": doc["DeletionDate"]}):
                    deleted += 1
                continue
            try:
                domain = domains.get(account, doc["Domain"])
            except KeystoreError:
                if keys.purge(account, doc, {"Generation": doc["Generation"]}):
                    deleted += 1
                continue
            if domain.generation == int(doc["Generation"]):
                keys.rotate(keys.Key(account, doc, domain), now)
                rotated += 1
        except Exception:
            log.exception("maintenance of key %s failed; the next sweep retries it", doc.get("KeyId"))
    for account, doc in data_key_store.due_for_deletion(now):
        try:
            if data_keys.purge(account, doc):
                deleted += 1
        except Exception:
            log.exception("deleting data key %s failed; the next sweep retries it", doc.get("DataKeyId"))
    return {"deleted": deleted, "rotated": rotated}
