"""Access strings (访问串): a credential for one bastion user on one device account.

A client that cannot do the bastion's password + TOTP dialogue (SecureCRT sessions, database
clients) logs in with the access string instead. Each is 16 random letters and digits, kept
hashed in the user's credential record under the device account's Id, optionally until an
expiry. Creating one again replaces the old one. Whether an ACL allows access strings
(AllowAccessCredential) is the gateway's check. ResetUser forgets a user's access strings.

For an account of a database device (OsName MySQL) the entry also keeps the string's
mysql_native_password verifier (hex SHA1(SHA1(secret)), what a MySQL server keeps), so that a
database client logs in to the gateway's MySQL proxy with it as a plain password, without the
cleartext plugin; the proxy's login name for it is `database_login_name()`.
"""
import hashlib
import hmac
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
    if is_database(account, device_account_id):
        entry["Native"] = native_stage2(secret)

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


def native_stage2(secret: str) -> str:
    """mysql_native_password's verifier of a secret: hex SHA1(SHA1(secret))."""
    return hashlib.sha1(hashlib.sha1(secret.encode("utf-8")).digest()).hexdigest()


def is_database(account: str, device_account_id: int) -> bool:
    """Whether the device account belongs to a database device (OsName MySQL)."""
    rec = _device_account(account, device_account_id)
    if rec is None:
        return False
    device = store.get_many(account, "device", [rec["DeviceId"]]).get(rec["DeviceId"])
    return bool(device) and device.get("OsName") == "MySQL"


def database_login_name(account: str, user_name: str, device_account_id: int) -> str:
    """The user name a database client gives the MySQL proxy with the access string:
    `bastionuser@<OwnerUin>/account/<ip>:<port>` (no two devices of an account share an address
    and port)."""
    rec = checks.require(_device_account(account, device_account_id), device_account_id, checks.DEVICE_ACCOUNT)
    device = store.get_many(account, "device", [rec["DeviceId"]])[rec["DeviceId"]]
    ip = device.get("PrivateIp") or device.get("PublicIp")
    return f"{user_name}@{account}/{rec['Account']}/{ip}:{device.get('Port')}"


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


def check_access_string_native(account: str, user_name: str, device_account_id: int, salt: bytes,
                               response: bytes, *, source_ip: Optional[str] = None) -> None:
    """As check_access_string, for a mysql_native_password response to `salt` (20 bytes): it
    proves the access string without sending it. Entries made before the device was a database
    (no verifier) are refused here; the cleartext plugin still takes them."""
    _, cred = login_policy.admit(account, user_name, source_ip=source_ip, single_factor=True)
    entry = cred.get("AccessStrings", {}).get(str(device_account_id))
    if (entry is None or not entry.get("Native") or credentials.expired(entry["Expires"], credentials.now())
            or len(response) != 20 or _device_account(account, device_account_id) is None):
        raise LoginRefused("bad_password", "Wrong or expired access string.")
    stage2 = bytes.fromhex(entry["Native"])
    mix = hashlib.sha1(bytes(salt[:20]) + stage2).digest()
    stage1 = bytes(a ^ b for a, b in zip(response, mix))
    if not hmac.compare_digest(hashlib.sha1(stage1).digest(), stage2):
        raise LoginRefused("bad_password", "Wrong or expired access string.")
