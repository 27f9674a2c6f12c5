"""KMS keys (CMKs) in the keystore table.

    pk ACCOUNT#<OwnerUin>  sk KEY#<KeyId>
        KeyId, Region, Alias, Description, KeyUsage, KeyState (Enabled | Disabled | PendingDelete),
        CreateTime, CreatedUs (creation order), CreatorUin, Tags [{TagKey, TagValue}], HsmClusterId ("" in the default domain),
        Domain, Generation            the key domain (and its generation) that wraps the material
        Material {"1": wrapped, ...}  one wrapped key per version; Current: the version in use
        PublicKey                     SubjectPublicKeyInfo DER (asymmetric keys)
        RotationEnabled, RotateDays, NextRotateTime, LastRotateTime, DeletionDate
    pk ACCOUNT#<OwnerUin>  sk ALIAS#<region>#<alias>    KeyId
    pk ACCOUNT#<OwnerUin>  sk KEYCOUNT#<region>         Count

A key, its alias and the count change together in one transaction; a new key's transaction also
checks that its domain is still alive, so no key lands in a domain being destroyed.
"""
from typing import Dict, List, Optional, Tuple

from layers.stores import keystore_table as t


class AliasTaken(Exception):
    pass


class LimitReached(Exception):
    pass


class DomainGone(Exception):
    """The key's domain was destroyed (or re-created) while the key was being written."""


class KeyChanged(Exception):
    """The key changed or disappeared since it was read."""


def key_sort(key_id: str) -> str:
    return f"KEY#{key_id}"


def alias_sort(region: str, alias: str) -> str:
    return f"ALIAS#{region}#{alias}"


def count_sort(region: str) -> str:
    return f"KEYCOUNT#{region}"


# ---- reads ----

def get(account: str, key_id: str) -> Optional[dict]:
    return t.get(account, key_sort(key_id))


def get_with(account: str, key_id: str, other_sk: str) -> Tuple[Optional[dict], Optional[dict]]:
    """The key and one more item of the account (its domain) in one round trip."""
    found = t.get_many(account, [key_sort(key_id), other_sk])
    return found[key_sort(key_id)], found[other_sk]


def list_keys(account: str) -> List[dict]:
    """Every key of the account (all regions), oldest first."""
    docs = [doc for _, doc in t.query(account, "KEY#")]
    return sorted(docs, key=lambda d: (d.get("CreatedUs", d["CreateTime"] * 10 ** 6), d["KeyId"]))


def domain_keys(account: str, domain_id: str) -> List[dict]:
    return [doc for _, doc in t.query(account, "KEY#", "#d = :d", {":d": {"S": domain_id}}, {"#d": "Domain"})]


def count(account: str, region: str) -> int:
    doc = t.get(account, count_sort(region))
    return int(doc.get("Count", 0)) if doc else 0


def needing_care(now: int) -> List[Tuple[str, dict]]:
    """(account, key) of every key whose deletion date passed or whose rotation is due."""
    rows = t.scan("KEY#", "(KeyState = :pending AND DeletionDate <= :now) OR "
                  "(RotationEnabled = :yes AND KeyState = :enabled AND NextRotateTime <= :now)",
                  {":pending": {"S": "PendingDelete"}, ":enabled": {"S": "Enabled"}, ":yes": {"BOOL": True},
                   ":now": {"N": str(now)}})
    return [(account, doc) for account, _, doc in rows]


# ---- writes ----

def _count_change(account: str, region: str, delta: int, limit: int = 0) -> dict:
    return t.counter_change(account, count_sort(region), delta, limit)


def _alias_put(account: str, region: str, alias: str, key_id: str) -> dict:
    return t.claim(account, alias_sort(region, alias), "KeyId", key_id)


def _alias_delete(account: str, region: str, alias: str, key_id: str) -> dict:
    return t.release(account, alias_sort(region, alias), "KeyId", key_id)


def create(account: str, doc: dict, domain_alive: dict, limit: int) -> None:
    """Add a key with its alias, counted against the limit, while its domain is alive."""
    items = [domain_alive, _count_change(account, doc["Region"], 1, limit),
             _alias_put(account, doc["Region"], doc["Alias"], doc["KeyId"]),
             {"Put": {"TableName": t.table_name(), "Item": {**t.key(account, key_sort(doc["KeyId"])), **t.to_item(doc)},
                      "ConditionExpression": "attribute_not_exists(pk)"}}]
    codes = t.transact(items)
    if codes is None:
        return
    if t.failed(codes, 0):
        raise DomainGone()
    if t.failed(codes, 1):
        raise LimitReached()
    if t.failed(codes, 2):
        raise AliasTaken()
    raise KeyChanged()   # a KeyId collision


def update(account: str, key_id: str, changes: Dict[str, object], expect: Dict[str, object],
           remove: Tuple[str, ...] = ()) -> bool:
    """Set attributes (and remove some) if the key still has the expected values; False otherwise."""
    return t.update_expected(account, key_sort(key_id), changes, expect, remove)


def add_version(account: str, key_id: str, version: int, wrapped: bytes, changes: Dict[str, object]) -> bool:
    """Store a new version of the key material and make it current, if version - 1 still is."""
    names = {"#m": "Material", "#v": str(version), "#cur": "Current"}
    values = {":m": {"B": wrapped}, ":v": {"N": str(version)}, ":prev": {"N": str(version - 1)}}
    sets = ["#m.#v = :m", "#cur = :v"]
    for i, (name, value) in enumerate(changes.items()):
        names[f"#a{i}"] = name
        values[f":a{i}"] = t.value(value)
        sets.append(f"#a{i} = :a{i}")
    return t.update(account, key_sort(key_id), "SET " + ", ".join(sets), "attribute_exists(pk) AND #cur = :prev",
                    values, names)


def rename(account: str, doc: dict, alias: str) -> None:
    """Give the key a new alias (and free its old one)."""
    if alias == doc["Alias"]:
        return
    items = [_alias_put(account, doc["Region"], alias, doc["KeyId"]),
             _alias_delete(account, doc["Region"], doc["Alias"], doc["KeyId"]),
             t.replace(account, key_sort(doc["KeyId"]), "Alias", doc["Alias"], alias)]
    codes = t.transact(items)
    if codes is None:
        return
    if t.failed(codes, 0):
        raise AliasTaken()
    raise KeyChanged()


def delete(account: str, doc: dict, expect: Optional[Dict[str, object]] = None) -> bool:
    """Remove the key, its alias and its count; with expect, only if the key still has those values."""
    items = [t.delete_expected(account, key_sort(doc["KeyId"]), expect or {}),
             _alias_delete(account, doc["Region"], doc["Alias"], doc["KeyId"]),
             _count_change(account, doc["Region"], -1)]
    return t.transact(items) is None
