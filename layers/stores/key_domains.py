"""Key domains in the keystore table: one item per (account, domain id).

    pk ACCOUNT#<OwnerUin>  sk DOMAIN#<domain id>
        State       Active | Destroyed
        Generation  1, 2, ...: bumped each time the domain is created again after being destroyed
        Master      the domain's master key, wrapped by the root key (AWS KMS ciphertext); Active only
        CreatedAt (s), DestroyedAt (ms, when this generation was first destroyed)

A destroyed domain keeps its item (without Master) as a tombstone, so its generation number is
never reused and nothing re-creates it by accident (see layers/keystore/domains.py).
"""
import time
from typing import Optional

from layers.stores import keystore_table as t

ACTIVE, DESTROYED = "Active", "Destroyed"


def sort_key(domain_id: str) -> str:
    return f"DOMAIN#{domain_id}"


def get(account: str, domain_id: str) -> Optional[dict]:
    return t.get(account, sort_key(domain_id))


def put_active(account: str, domain_id: str, generation: int, master_blob: bytes,
               previous_generation: int) -> bool:
    """Make the domain Active with a new master key: only if it does not exist (previous_generation 0)
    or is still the tombstone of previous_generation. False if someone else got there first."""
    doc = {"State": ACTIVE, "Generation": generation, "Master": master_blob, "CreatedAt": int(time.time())}
    if previous_generation == 0:
        return t.put(account, sort_key(domain_id), doc)
    return t.put(account, sort_key(domain_id), doc, "#s = :destroyed AND Generation = :prev", {"#s": "State"},
                 {":destroyed": {"S": DESTROYED}, ":prev": {"N": str(previous_generation)}})


def mark_destroyed(account: str, domain_id: str) -> Optional[int]:
    """Drop the wrapped master key and leave the tombstone; the time (ms) this generation was first
    destroyed, or None if the domain never existed."""
    doc = t.update_returning(account, sort_key(domain_id),
                             "SET #s = :destroyed, DestroyedAt = if_not_exists(DestroyedAt, :now) REMOVE Master",
                             "attribute_exists(pk)",
                             {":destroyed": {"S": DESTROYED}, ":now": {"N": str(int(time.time() * 1000))}},
                             {"#s": "State"})
    return int(doc["DestroyedAt"]) if doc else None


def alive_check(account: str, domain_id: str, generation: int) -> dict:
    """A transaction item that holds only while the domain is Active in that generation."""
    return {"ConditionCheck": {
        "TableName": t.table_name(), "Key": t.key(account, sort_key(domain_id)),
        "ConditionExpression": "#s = :active AND Generation = :g",
        "ExpressionAttributeNames": {"#s": "State"},
        "ExpressionAttributeValues": {":active": {"S": ACTIVE}, ":g": {"N": str(generation)}}}}
