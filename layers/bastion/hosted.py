"""Hosted credentials of asset accounts: what the Reset… actions clear."""
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
