"""KMS hosted data keys in the keystore table (beside the CMKs that seal them).

    pk ACCOUNT#<OwnerUin>  sk DATAKEY#<DataKeyId>
        DataKeyId, Region, DataKeyName, Description, KeyId (the CMK), NumberOfBytes,
        KeyState (Enabled | Disabled | PendingDelete), DeletionDate, CreateTime, CreatedUs (creation order),
        CreatorUin, Origin (TENCENT_KMS | EXTERNAL), HsmClusterId, Tags [{TagKey, TagValue}],
        CiphertextBlob                the data key sealed under its CMK (layers/kms/blob.py)
        Context                       the canonical EncryptionContext it was sealed with ("" for none)
    pk ACCOUNT#<OwnerUin>  sk DATAKEYNAME#<region>#<name>    DataKeyId; a name is unique per account and region
    pk ACCOUNT#<OwnerUin>  sk DATAKEYCOUNT#<region>          Count

A data key, its name and the count change together in one transaction.
"""
from typing import Dict, List, Optional, Tuple

from layers.stores import keystore_table as t


class NameTaken(Exception):
    pass


class LimitReached(Exception):
    pass


class Changed(Exception):
    """The data key changed or disappeared since it was read."""


def data_key_sort(data_key_id: str) -> str:
    return f"DATAKEY#{data_key_id}"


def name_sort(region: str, name: str) -> str:
    return f"DATAKEYNAME#{region}#{name}"


def count_sort(region: str) -> str:
    return f"DATAKEYCOUNT#{region}"


# ---- reads ----

def get(account: str, data_key_id: str) -> Optional[dict]:
    return t.get(account, data_key_sort(data_key_id))


def list_all(account: str) -> List[dict]:
    """Every data key of the account (all regions), oldest first."""
    docs = [doc for _, doc in t.query(account, "DATAKEY#")]
    return sorted(docs, key=lambda d: (d["CreatedUs"], d["DataKeyId"]))


def count(account: str, region: str) -> int:
    doc = t.get(account, count_sort(region))
    return int(doc.get("Count", 0)) if doc else 0


def due_for_deletion(now: int) -> List[Tuple[str, dict]]:
    """(account, data key) of every data key whose deletion date passed."""
    rows = t.scan("DATAKEY#", "KeyState = :pending AND DeletionDate <= :now",
                  {":pending": {"S": "PendingDelete"}, ":now": {"N": str(now)}})
    return [(account, doc) for account, _, doc in rows]


# ---- writes ----

def _count_change(account: str, region: str, delta: int, limit: int = 0) -> dict:
    return t.counter_change(account, count_sort(region), delta, limit)


def _name_put(account: str, region: str, name: str, data_key_id: str) -> dict:
    return t.claim(account, name_sort(region, name), "DataKeyId", data_key_id)


def _name_delete(account: str, region: str, name: str, data_key_id: str) -> dict:
    return t.release(account, name_sort(region, name), "DataKeyId", data_key_id)


def create(account: str, doc: dict, limit: int) -> None:
    """Add a data key with its name, counted against the limit."""
    items = [_count_change(account, doc["Region"], 1, limit),
             _name_put(account, doc["Region"], doc["DataKeyName"], doc["DataKeyId"]),
             {"Put": {"TableName": t.table_name(),
                      "Item": {**t.key(account, data_key_sort(doc["DataKeyId"])), **t.to_item(doc)},
                      "ConditionExpression": "attribute_not_exists(pk)"}}]
    codes = t.transact(items)
    if codes is None:
        return
    if t.failed(codes, 0):
        raise LimitReached()
    if t.failed(codes, 1):
        raise NameTaken()
    raise Changed()   # a DataKeyId collision


def update(account: str, data_key_id: str, changes: Dict[str, object], expect: Dict[str, object]) -> bool:
    """Set attributes if the data key still has the expected values; False otherwise."""
    return t.update_expected(account, data_key_sort(data_key_id), changes, expect)


def rename(account: str, doc: dict, name: str) -> None:
    """Give the data key a new name (and free its old one)."""
    if name == doc["DataKeyName"]:
        return
    items = [_name_put(account, doc["Region"], name, doc["DataKeyId"]),
             _name_delete(account, doc["Region"], doc["DataKeyName"], doc["DataKeyId"]),
             t.replace(account, data_key_sort(doc["DataKeyId"]), "DataKeyName", doc["DataKeyName"], name)]
    codes = t.transact(items)
    if codes is None:
        return
    if t.failed(codes, 0):
        raise NameTaken()
    raise Changed()


def delete(account: str, doc: dict, expect: Dict[str, object]) -> bool:
    """Remove the data key, its name and its count, if the data key still has the expected values."""
    items = [t.delete_expected(account, data_key_sort(doc["DataKeyId"]), expect),
             _name_delete(account, doc["Region"], doc["DataKeyName"], doc["DataKeyId"]),
             _count_change(account, doc["Region"], -1)]
    return t.transact(items) is None
