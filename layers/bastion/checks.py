"""Existence checks that answer ResourceNotFound naming the first missing Id."""
from typing import Dict, Iterable, List

from layers.gateway.errors import not_found

USER, USER_GROUP, DEVICE, DEVICE_GROUP = "User", "User group", "Device", "Device group"
ACL, CMD_TEMPLATE, DEVICE_ACCOUNT, RESOURCE = "Access permission", "Command template", "Device account", "Resource"


def require_all(records: Dict[int, dict], ids: Iterable[int], what: str) -> List[dict]:
    found = []
    for i in ids:
        rec = records.get(i)
        if rec is None:
            raise not_found(what, i)
        found.append(rec)
    return found


def require(rec, ident, what: str) -> dict:
    if rec is None:
        raise not_found(what, ident)
    return rec


def name_taken(records: Dict[int, dict], field: str, value: str, except_id: int = 0) -> bool:
    return any(r[field] == value and r["Id"] != except_id for r in records.values())
