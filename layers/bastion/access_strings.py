"""Access strings (访问串): a credential for one bastion user on one device account.

A client that cannot do the bastion's password + TOTP dialogue (SecureCRT sessions, database
clients) logs in with the access string instead. Each is 16 random letters and digits, kept
hashed in the user's credential record under the device account's Id, optionally until an
expiry. Creating one again replaces the old one. Whether an ACL allows access strings
(AllowAccessCredential) is the gateway's check. ResetUser forgets a user's access strings.
"""
import string
from datetime import datetime
from typing import Optional

from layers.bastion import checks, credentials, login_policy, store, times
from layers.bastion.credentials import LoginRefused
from layers.gateway.errors import ApiError

LENGTH = 16
ALPHABET = string.ascii_letters + string.digits
PER_USER_MAX = 50           # keeps a credential shard far below the item size limit


def _expiry(expires: Optional[datetime], at: datetime) -> str:
    if expires is None:
        return ""
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=times.CST)     # the console's time zone, as elsewhere
    if expires <= at:
        raise ApiError("InvalidParameterValue", "The access string's expiry must be in the future.")
    return times.iso(expires)


def _device_account(account: str, device_account_id: int) -> Optional[dict]:
    return store.get_many(account, "account", [device_account_id]).get(device_account_id)


def create_access_string(account: str, user_name: str, device_account_id: int,
                         expires: Optional[datetime] = None) -> str:
    """A new access string for the user on the device account (the old one stops working);
    returned once, never stored in the clear."""
    at = credentials.now()
    uid = credentials.require_user(account, user_name)["Id"]
    checks.require(_device_account(account, device_account_id), device_account_id, checks.DEVICE_ACCOUNT)
    expiry = _expiry(expires, at)
    secret = credentials.new_token(LENGTH, ALPHABET)
    entry = {"Hash": credentials.hash_token(secret), "Expires": expiry}

    def write(tx: store.Tx) -> None:
        cred = tx.get(credentials.KIND, uid) or {"Id": uid}
        kept = {k: v for k, v in cred.get("AccessStrings", {}).items()
                if k != str(device_account_id) and not credentials.expired(v["Expires"], at)}
        if len(kept) >= PER_USER_MAX:
            raise ApiError("LimitExceeded", f"A user holds at most {PER_USER_MAX} access strings.")
        cred["AccessStrings"] = {**kept, str(device_account_id): entry}
        tx.put(credentials.KIND, cred)

    store.transaction(account, write)
    return secret


def revoke_access_string(account: str, user_name: str, device_account_id: int) -> bool:
    """Forget the user's access string for the device account; False when there was none."""
    uid = credentials.require_user(account, user_name)["Id"]

    def write(tx: store.Tx) -> bool:
        cred = tx.get(credentials.KIND, uid)
        if not cred or str(device_account_id) not in cred.get("AccessStrings", {}):
            return False
        del cred["AccessStrings"][str(device_account_id)]
        tx.put(credentials.KIND, cred)
        return True

    return store.transaction(account, write)


def held(cred: dict, secret: str, at: datetime) -> bool:
    """Whether `secret` is one of the user's unexpired access strings (for any device account)."""
    return any(not credentials.expired(e["Expires"], at) and credentials.token_matches(secret, e["Hash"])
               for e in cred.get("AccessStrings", {}).values())


def check_access_string(account: str, user_name: str, device_account_id: int, secret: str, *,
                        source_ip: Optional[str] = None) -> None:
    """LoginRefused unless `secret` is the user's unexpired access string for the device account
    (which must still exist). With source_ip, the whitelist is checked as for any single-factor
    login; the user must be active and not locked, as for every login."""
    _, cred = login_policy.admit(account, user_name, source_ip=source_ip, single_factor=True)
    entry = cred.get("AccessStrings", {}).get(str(device_account_id))
    if (entry is None or credentials.expired(entry["Expires"], credentials.now())
            or not credentials.token_matches(secret, entry["Hash"])
            or _device_account(account, device_account_id) is None):
        raise LoginRefused("bad_password", "Wrong or expired access string.")
