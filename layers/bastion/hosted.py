"""Hosted credentials of asset accounts: what the Bind… actions store and the Reset… actions clear."""
from typing import Iterable, List

from layers.bastion import checks, store


def clear(owner: str, ids: List[int], names: Iterable[str]) -> List[str]:
    """Drop the named sealed fields from each asset account (all must exist); returns
    `device/account` names for the audit event."""
    names = tuple(names)

    def write(tx: store.Tx) -> list:
        found = checks.require_all(tx.get_many("account", ids), ids, checks.DEVICE_ACCOUNT)
        for rec in found:
            for name in names:
                rec.pop(name, None)
            tx.put("account", rec)
        return [f"{a['DeviceId']}/{a['Account']}" for a in found]

    return store.transaction(owner, write)


def require(owner: str, aid: int) -> None:
    """ResourceNotFound unless the asset account exists (checked before sealing, so an unknown Id
    creates no key domain)."""
    checks.require(store.get_many(owner, "account", [aid]).get(aid), aid, checks.DEVICE_ACCOUNT)


def store_sealed(owner: str, aid: int, values: dict) -> str:
    """Write the sealed fields into the asset account (which must still exist); returns its
    `device/account` name for the audit event."""
    def write(tx: store.Tx) -> str:
        rec = checks.require(tx.get("account", aid), aid, checks.DEVICE_ACCOUNT)
        rec.update(values)
        tx.put("account", rec)
        return f"{rec['DeviceId']}/{rec['Account']}"

    return store.transaction(owner, write)
