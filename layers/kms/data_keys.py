"""Hosted data keys: data keys KMS keeps for the caller (GenerateDataKey with IsHostedByKms 1, or
ImportDataKey), each sealed under its CMK as a CiphertextBlob (layers/kms/blob.py), never in the clear.

A data key belongs to one account and one region, like its CMK. Its state is Enabled, Disabled or
PendingDelete; a disabled or pending one gives out neither its plaintext nor its blob. Opening it
(GetDataKeyPlaintext) needs its CMK in a state that decrypts (Enabled, or Archived), exactly as
Decrypt of its blob would. A data key pending deletion past its DeletionDate is deleted on sight, or by
the hourly kms_key_maintenance sweep (layers/kms/maintenance.py).
"""
import re
import time
import uuid
from dataclasses import dataclass
from typing import Dict, List, Optional

from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError, invalid_value
from layers.kms import blob, ciphertexts, errors, keys, owner
from layers.kms.owner import Owner
from layers.stores import data_keys as store

ENABLED, DISABLED, PENDING_DELETE = keys.ENABLED, keys.DISABLED, keys.PENDING_DELETE
ORIGIN_KMS, ORIGIN_EXTERNAL = keys.ORIGIN_KMS, keys.ORIGIN_EXTERNAL
DATA_KEY_LIMIT = 1000                  # hosted data keys per account per region
MAX_BATCH = 100
MIN_BYTES, MAX_BYTES = 1, 1024         # a data key's length, as GenerateDataKey's NumberOfBytes
MAX_DESCRIPTION = 100                  # bytes ("最大100字节")
MIN_DAYS, MAX_DAYS = 7, 30
DATA_KEY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$")


@dataclass
class DataKey:
    account: str
    doc: dict

    @property
    def data_key_id(self) -> str:
        return self.doc["DataKeyId"]

    @property
    def state(self) -> str:
        return self.doc["KeyState"]


# ---- errors and checks ----

def not_found(data_key_id: str) -> ApiError:
    return ApiError("ResourceUnavailable.DataKeyNotFound", f"Data key `{data_key_id}` does not exist.")


def check_id(data_key_id: str) -> str:
    if not DATA_KEY_ID.match(data_key_id or ""):
        raise ApiError("InvalidParameterValue.InvalidDataKeyId", f"`{data_key_id}` is not a valid DataKeyId.")
    return data_key_id


def check_ids(data_key_ids: list) -> list:
    for data_key_id in data_key_ids:
        check_id(data_key_id)
    if len(set(data_key_ids)) != len(data_key_ids):
        raise ApiError("InvalidParameterValue.DuplicatedDataKeyId", "Each DataKeyId may appear once in DataKeyIds.")
    return data_key_ids


def check_name(name: Optional[str]) -> str:
    if not NAME.match(name or ""):
        raise ApiError("InvalidParameterValue.InvalidDataKeyName",
                       f"The data key name `{name or ''}` is invalid: 1-60 letters, digits, - and _, "
                       "starting with a letter or digit.")
    return name


def check_description(description: Optional[str]) -> str:
    description = description or ""
    if len(description.encode()) > MAX_DESCRIPTION:
        raise invalid_value("Description", f"must be at most {MAX_DESCRIPTION} bytes")
    return description


def check_window(days: int) -> int:
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ApiError("InvalidParameter.InvalidPendingWindowInDays",
                       f"PendingWindowInDays must be from {MIN_DAYS} to {MAX_DAYS}.")
    return days


def check_cluster(key: keys.Key, cluster_id: Optional[str]) -> None:
    """HsmClusterId, when given, must be the VSM that holds the CMK."""
    if cluster_id and cluster_id != key.doc.get("HsmClusterId"):
        raise errors.invalid_hsm_cluster(cluster_id, f"CMK `{key.key_id}` is not held by it")


def check_size(size: int) -> int:
    if not MIN_BYTES <= size <= MAX_BYTES:
        raise ApiError("InvalidParameterValue.InvalidImportKeyMaterial",
                       f"A data key must be {MIN_BYTES} to {MAX_BYTES} bytes.")
    return size


# ---- lookup ----

def expired(doc: dict, now: int) -> bool:
    return doc["KeyState"] == PENDING_DELETE and int(doc.get("DeletionDate", 0)) <= now


def purge(account: str, doc: dict) -> bool:
    """Delete a data key that is (still) pending deletion with this DeletionDate; whether it was deleted."""
    return store.delete(account, doc, {"KeyState": PENDING_DELETE, "DeletionDate": doc["DeletionDate"]})


def find(ctx: RequestContext, data_key_id: str) -> DataKey:
    """The caller's data key in the request's region, whatever its state; DataKeyNotFound otherwise."""
    check_id(data_key_id)
    doc = store.get(ctx.account, data_key_id)
    if doc is None or doc.get("Region") != keys.region_of(ctx):
        raise not_found(data_key_id)
    if expired(doc, int(time.time())):
        purge(ctx.account, doc)
        raise not_found(data_key_id)
    return DataKey(ctx.account, doc)


def find_many(ctx: RequestContext, data_key_ids: List[str]) -> List[DataKey]:
    return [find(ctx, data_key_id) for data_key_id in check_ids(data_key_ids)]


def visible(ctx: RequestContext) -> List[dict]:
    """The caller's data keys in the request's region, oldest first (those past deletion left out)."""
    region, now = keys.region_of(ctx), int(time.time())
    return [d for d in store.list_all(ctx.account) if d.get("Region") == region and not expired(d, now)]


def readable(ctx: RequestContext, data_key_id: str) -> DataKey:
    """An Enabled data key (what GetDataKeyPlaintext and GetDataKeyCiphertextBlob need)."""
    data_key = find(ctx, data_key_id)
    ctx.touched(data_key.data_key_id, resource_type="datakey")
    if data_key.state == DISABLED:
        raise ApiError("ResourceUnavailable.DataKeyDisabled", f"Data key `{data_key.data_key_id}` is disabled.")
    if data_key.state == PENDING_DELETE:
        raise ApiError("ResourceUnavailable.DataKeyPendingDelete",
                       f"Data key `{data_key.data_key_id}` is pending deletion; CancelDataKeyDeletion first.")
    return data_key


# ---- hosting ----

def host(ctx: RequestContext, key: keys.Key, *, name: str, description: str, tags: list, sealed: str,
         context: str, size: int, origin: str) -> dict:
    """Keep a data key (already sealed under `key` as a CiphertextBlob) as a new hosted data key."""
    region = keys.region_of(ctx)
    now = time.time_ns()
    doc = {"DataKeyId": str(uuid.uuid4()), "Region": region, "DataKeyName": name, "Description": description,
           "KeyId": key.key_id, "NumberOfBytes": size, "KeyState": ENABLED, "DeletionDate": 0,
           "CreateTime": now // 10 ** 9, "CreatedUs": now // 1000, "CreatorUin": ctx.uin or ctx.account,
           "Origin": origin, "HsmClusterId": key.doc.get("HsmClusterId", ""), "Tags": tags,
           "CiphertextBlob": sealed, "Context": context}
    try:
        store.create(ctx.account, doc, DATA_KEY_LIMIT)
    except store.NameTaken:
        raise ApiError("InvalidParameterValue.DataKeyNameAlreadyExists",
                       f"The data key name `{name}` is already in use.") from None
    except store.LimitReached:
        raise ApiError("LimitExceeded.DataKeyLimitExceeded",
                       f"An account may host at most {DATA_KEY_LIMIT} data keys in {region}.") from None
    except store.Changed:
        raise ApiError("FailedOperation", "A DataKeyId collision occurred; try again.") from None
    ctx.touched(doc["DataKeyId"], resource_type="datakey")
    return doc


def plaintext(ctx: RequestContext, data_key: DataKey) -> bytes:
    """Open a data key under its CMK (which must be in a state that decrypts)."""
    _, plain, _ = ciphertexts.decrypt(ctx, data_key.doc["CiphertextBlob"], data_key.doc.get("Context", ""),
                                      ctx.action or "GetDataKeyPlaintext")
    return plain


def open_import(ctx: RequestContext, text: str, key_id: str):
    """(CMK, plaintext) of a CiphertextBlob brought to ImportDataKey (ImportType 1)."""
    if key_id:
        keys.find(ctx, key_id)
        owner_id = blob.parse(text).key_id
        if owner_id != key_id:
            raise errors.invalid_ciphertext(f"it was made under CMK `{owner_id}`, not KeyId `{key_id}`")
    key, plain, _ = ciphertexts.decrypt(ctx, text, "", "ImportDataKey")
    return key, plain


# ---- changes ----

def change(data_key: DataKey, changes: dict) -> None:
    """Apply changes to a data key as it was read; a concurrent change makes this FailedOperation."""
    if not store.update(data_key.account, data_key.data_key_id, changes, {"KeyState": data_key.state}):
        if store.get(data_key.account, data_key.data_key_id) is None:
            raise not_found(data_key.data_key_id)
        raise ApiError("FailedOperation", f"Data key `{data_key.data_key_id}` was changed by another request; "
                       "try again.")
    data_key.doc = {**data_key.doc, **changes}


def set_state(ctx: RequestContext, data_key_ids: List[str], state: str, operation: str) -> None:
    """Enable or disable data keys; every one is checked before any changes."""
    found = find_many(ctx, data_key_ids)
    ctx.touched(*(d.data_key_id for d in found), resource_type="datakey")
    for data_key in found:
        if data_key.state == PENDING_DELETE:
            raise ApiError("ResourceUnavailable.DataKeyStateNotSupport",
                           f"Data key `{data_key.data_key_id}` is pending deletion: {operation} is not possible "
                           "until CancelDataKeyDeletion.")
    for data_key in found:
        if data_key.state != state:
            change(data_key, {"KeyState": state})


def rename(data_key: DataKey, name: str) -> None:
    try:
        store.rename(data_key.account, data_key.doc, name)
    except store.NameTaken:
        raise ApiError("InvalidParameterValue.DataKeyNameAlreadyExists",
                       f"The data key name `{name}` is already in use.") from None
    except store.Changed:
        raise ApiError("FailedOperation", f"Data key `{data_key.data_key_id}` was changed by another request; "
                       "try again.") from None


# ---- view ----

def _uin(value: str):
    return int(value) if str(value).isdigit() else None


def key_names(ctx: RequestContext, docs: List[dict]) -> Dict[str, str]:
    """CMK id -> its alias, for the CMKs of these data keys (a deleted CMK has none)."""
    names = {}
    for key_id in {d["KeyId"] for d in docs}:
        try:
            names[key_id] = keys.find(ctx, key_id).doc["Alias"]
        except ApiError as err:
            if err.code != "ResourceUnavailable.CmkNotFound":
                raise
            names[key_id] = ""
    return names


def metadata(doc: dict, who: Owner, key_name: str) -> dict:
    """A data key's DataKeyMetadata; Account* name the account that holds it (the caller's own)."""
    creator = str(doc.get("CreatorUin", ""))
    return {
        "DataKeyId": doc["DataKeyId"],
        "KeyId": doc["KeyId"],
        "KeyName": key_name,
        "DataKeyName": doc["DataKeyName"],
        "NumberOfBytes": int(doc["NumberOfBytes"]),
        "CreateTime": int(doc["CreateTime"]),
        "Description": doc.get("Description", ""),
        "KeyState": doc["KeyState"],
        "CreatorUin": _uin(creator),
        "Owner": "user",
        "DeletionDate": int(doc.get("DeletionDate", 0)),
        "Origin": doc.get("Origin") or ORIGIN_KMS,
        "HsmClusterId": doc.get("HsmClusterId", ""),
        "ResourceId": f"creatorUin/{creator}/{doc['DataKeyId']}",
        "IsSyncReplica": 0,
        "SourceRegion": "",
        "SyncStatus": 0,
        "SyncMessages": "",
        "SyncStartTime": 0,
        "SyncEndTime": 0,
        "SourceHsmClusterId": "",
        "AccountAppId": who.app_id_number,
        "AccountUin": who.uin_number,
        "AccountName": who.name,
        "CreatorUinString": creator,
    }


def metadatas(ctx: RequestContext, docs: List[dict]) -> List[dict]:
    names, who = key_names(ctx, docs), owner.of(ctx)
    return [metadata(d, who, names[d["KeyId"]]) for d in docs]
