"""Hosted passwords and private keys, sealed in the account's key domain.

    blob = seal("s3cret", context("1000", 7, "password"))
    open(blob, context("1000", 7, "password")) == "s3cret"

The key store (layers/keystore) does the envelope encryption: a fresh data key per value, wrapped
by the account's sealing-domain master key, which the root key in the cloud KMS wraps in turn.
The context binds a blob to its account, record and field, so a blob copied to another record or
account does not open. These two functions are the whole interface the bastion uses.
"""
from typing import Dict

from layers import keystore

_FORMAT = 2
PURPOSE = "bastion/hosted-credential"


def seal(secret: str, context: Dict[str, str]) -> dict:
    return {"v": _FORMAT, "s": keystore.seal(context["account"], PURPOSE, secret.encode("utf-8"), context)}


def open(blob: dict, context: Dict[str, str]) -> str:  # noqa: A001 (the interface is seal/open)
    if not isinstance(blob, dict) or blob.get("v") != _FORMAT:
        raise ValueError("unknown sealed-secret format")
    return keystore.open(context["account"], PURPOSE, blob["s"], context).decode("utf-8")


def context(account: str, device_account_id: int, field: str) -> Dict[str, str]:
    return {"service": "bastion", "account": account, "device_account": str(device_account_id), "field": field}
