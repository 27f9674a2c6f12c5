"""Accounts, users and API keys, kept in the identity table (DynamoDB).

    ACCOUNT#<OwnerUin>  OwnerUin, AppId, Name, Operator, RateLimit
    USER#<Uin>          Uin, OwnerUin, Name, Policy (service:Action patterns), SecretIds
    KEY#<SecretId>      SecretId, SecretKey, Uin, OwnerUin, Status, Type, Token, ExpiresAt
                        (temporary keys may also carry KeyPolicy/KeyDeny: patterns that narrow the
                        user's policy, Name: who it was issued for, BastionUser: a console sign-in)

An account's root user has the account's Uin and the policy ["*"]. A user holds at most two
permanent keys, as the documentation says of SecretId/SecretKey pairs.
"""
import logging
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from layers import aws
from layers.config import settings
from layers.gateway.errors import ApiError

log = logging.getLogger("guardzone.identity")

SECRET_ID = re.compile(r"^AKID[0-9A-Za-z]{8,64}$")
MAX_PERMANENT_KEYS = 2
_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Credential:
    secret_id: str
    secret_key: str
    uin: str
    owner_uin: str
    app_id: str
    enabled: bool
    temporary: bool
    token: str
    expires_at: int
    policy: Tuple[str, ...]
    operator: bool
    rate_limit: int          # 0: the default
    key_policy: Optional[Tuple[str, ...]] = None   # a temporary key's own allow list (None: the user's policy)
    key_deny: Tuple[str, ...] = ()                 # a temporary key's denied patterns
    name: str = ""                                 # whom a temporary key was issued for (GetFederationToken's Name)
    bastion_user: str = ""                         # a console sign-in's bastion user name

    def allows(self, allowed: Callable[[Tuple[str, ...]], bool], *, signature_only: bool = False) -> bool:
        """The user's policy (not for "只验签名不鉴权" actions), narrowed by a temporary key's own
        allow and deny patterns, which hold for every action (allowed(patterns): do they match the call)."""
        return ((signature_only or allowed(self.policy)) and (self.key_policy is None or allowed(self.key_policy))
                and not (self.key_deny and allowed(self.key_deny)))


def _ddb():
    return aws.client("dynamodb")


def _s(item: dict, name: str, default: str = "") -> str:
    v = item.get(name)
    return v["S"] if v and "S" in v else (v["N"] if v and "N" in v else default)


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _uin() -> str:
    return str(100000000000 + secrets.randbelow(900000000000))


class CredentialCache:
    """SecretId -> Credential, kept for GZ_CREDENTIAL_CACHE_SECONDS (a disabled key stops
    working within that time). A key in use past REFRESH_AT of that time is reloaded in the
    background while the cached one still serves, so a busy key never waits on the table."""

    REFRESH_AT = 0.8

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 loader: Optional[Callable[[str], Optional["Credential"]]] = None) -> None:
        self._entries: Dict[str, Tuple[float, Credential]] = {}
        self._refreshing: set = set()
        self._lock = threading.Lock()
        self._clock = clock
        self._loader = loader or load_credential

    def get(self, secret_id: str) -> Optional[Credential]:
        now = self._clock()
        hit = self._entries.get(secret_id)
        if hit and hit[0] > now:
            ttl = settings().credential_cache_seconds
            if hit[0] - now < ttl * (1 - self.REFRESH_AT):
                self._refresh_in_background(secret_id)
            return hit[1]
        return self._load(secret_id)

    def _load(self, secret_id: str) -> Optional[Credential]:
        started = self._clock()
        cred = self._loader(secret_id)
        with self._lock:
            if cred is None:
                self._entries.pop(secret_id, None)
            else:
                if len(self._entries) > 10000:
                    self._entries.clear()
                # valid from when it was read, so the staleness bound holds
                self._entries[secret_id] = (started + settings().credential_cache_seconds, cred)
        return cred

    def _refresh_in_background(self, secret_id: str) -> None:
        with self._lock:
            if secret_id in self._refreshing:
                return
            self._refreshing.add(secret_id)

        def run() -> None:
            try:
                self._load(secret_id)
            except Exception:     # the entry expires as usual and the next request reloads it
                log.warning("refreshing a cached credential failed", exc_info=True)
            finally:
                with self._lock:
                    self._refreshing.discard(secret_id)

        threading.Thread(target=run, name="credential-refresh", daemon=True).start()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def load_credential(secret_id: str) -> Optional[Credential]:
    table = settings().identity_table
    key = _ddb().get_item(TableName=table, Key={"pk": {"S": f"KEY#{secret_id}"}},
                          ConsistentRead=True).get("Item")
    if not key:
        return None
    uin, owner = _s(key, "Uin"), _s(key, "OwnerUin")
    got = _ddb().batch_get_item(RequestItems={table: {"Keys": [
        {"pk": {"S": f"USER#{uin}"}}, {"pk": {"S": f"ACCOUNT#{owner}"}}], "ConsistentRead": True}})
    items = {_s(i, "pk"): i for i in got["Responses"].get(table, [])}
    user, account = items.get(f"USER#{uin}"), items.get(f"ACCOUNT#{owner}")
    if not user or not account:
        return None
    return Credential(
        secret_id=secret_id, secret_key=_s(key, "SecretKey"), uin=uin, owner_uin=owner,
        app_id=_s(account, "AppId"), enabled=_s(key, "Status") == "Enabled",
        temporary=_s(key, "Type") == "temporary", token=_s(key, "Token"),
        expires_at=int(_s(key, "ExpiresAt", "0")),
        policy=tuple(v["S"] for v in user.get("Policy", {}).get("L", [])),
        operator=account.get("Operator", {}).get("BOOL", False),
        rate_limit=int(_s(account, "RateLimit", "0")),
        key_policy=tuple(v["S"] for v in key["KeyPolicy"]["L"]) if "KeyPolicy" in key else None,
        key_deny=tuple(v["S"] for v in key.get("KeyDeny", {}).get("L", [])),
        name=_s(key, "Name"), bastion_user=_s(key, "BastionUser"))


# ---- management (the `guardzone` command and the local stack's demo seed use these) ----

def create_account(name: str = "", *, owner_uin: str = "", app_id: str = "", operator: bool = False,
                   rate_limit: int = 0) -> dict:
    owner_uin = owner_uin or _uin()
    app_id = app_id or str(1250000000 + secrets.randbelow(10000000))
    item = {"pk": {"S": f"ACCOUNT#{owner_uin}"}, "OwnerUin": {"S": owner_uin}, "AppId": {"S": app_id},
            "Name": {"S": name or owner_uin}, "Operator": {"BOOL": operator},
            "CreatedAt": {"N": str(int(time.time()))}}
    if rate_limit:
        item["RateLimit"] = {"N": str(rate_limit)}
    try:
        _ddb().put_item(TableName=settings().identity_table, Item=item,
                        ConditionExpression="attribute_not_exists(pk)")
    except _ddb().exceptions.ConditionalCheckFailedException:
        raise ApiError("FailedOperation.DuplicateData", f"Account {owner_uin} already exists.") from None
    create_user(owner_uin, name="root", uin=owner_uin, policy=["*"])
    return {"OwnerUin": owner_uin, "AppId": app_id, "Name": name or owner_uin, "Operator": operator}


def create_user(owner_uin: str, name: str, *, uin: str = "", policy: Optional[List[str]] = None) -> dict:
    table = settings().identity_table
    if not _ddb().get_item(TableName=table, Key={"pk": {"S": f"ACCOUNT#{owner_uin}"}}).get("Item"):
        raise ApiError("ResourceNotFound", f"Account {owner_uin} does not exist.")
    uin = uin or _uin()
    policy = list(policy if policy is not None else [])
    try:
        _ddb().put_item(TableName=table, ConditionExpression="attribute_not_exists(pk)", Item={
            "pk": {"S": f"USER#{uin}"}, "Uin": {"S": uin}, "OwnerUin": {"S": owner_uin},
            "Name": {"S": name}, "Policy": {"L": [{"S": p} for p in policy]}, "SecretIds": {"L": []}})
    except _ddb().exceptions.ConditionalCheckFailedException:
        raise ApiError("FailedOperation.DuplicateData", f"User {uin} already exists.") from None
    return {"Uin": uin, "OwnerUin": owner_uin, "Name": name, "Policy": policy}


def user_names(owner_uin: str, uins) -> Dict[str, str]:
    """Name of each of these users that belongs to the account, by Uin (for logs that show who
    acted); users of other accounts and unknown uins are left out."""
    wanted = sorted({u for u in uins if u})
    table, out = settings().identity_table, {}
    for i in range(0, len(wanted), 100):
        keys = [{"pk": {"S": f"USER#{u}"}} for u in wanted[i:i + 100]]
        while keys:
            got = _ddb().batch_get_item(RequestItems={table: {"Keys": keys}})
            for item in got["Responses"].get(table, []):
                if _s(item, "OwnerUin") == owner_uin:
                    out[_s(item, "Uin")] = _s(item, "Name")
            keys = got.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    return out


def set_policy(uin: str, policy: List[str]) -> None:
    _ddb().update_item(TableName=settings().identity_table, Key={"pk": {"S": f"USER#{uin}"}},
                       UpdateExpression="SET Policy = :p", ConditionExpression="attribute_exists(pk)",
                       ExpressionAttributeValues={":p": {"L": [{"S": p} for p in policy]}})


def create_key(uin: str, *, temporary: bool = False, ttl_seconds: int = 3600,
               key_policy: Optional[List[str]] = None, key_deny: Optional[List[str]] = None,
               name: str = "", bastion_user: str = "") -> dict:
    """A new SecretId/SecretKey for a user; temporary keys also get a Token and an expiry, and
    may be narrowed by their own allow (key_policy) and deny (key_deny) patterns."""
    table = settings().identity_table
    user = _ddb().get_item(TableName=table, Key={"pk": {"S": f"USER#{uin}"}}, ConsistentRead=True).get("Item")
    if not user:
        raise ApiError("ResourceNotFound", f"User {uin} does not exist.")
    owner = _s(user, "OwnerUin")
    secret_id, secret_key = "AKID" + _random(32), _random(32)
    key = {"pk": {"S": f"KEY#{secret_id}"}, "SecretId": {"S": secret_id}, "SecretKey": {"S": secret_key},
           "Uin": {"S": uin}, "OwnerUin": {"S": owner}, "Status": {"S": "Enabled"},
           "Type": {"S": "temporary" if temporary else "permanent"}}
    result = {"SecretId": secret_id, "SecretKey": secret_key, "Uin": uin, "OwnerUin": owner}
    if temporary:
        token, expires = _random(64), int(time.time()) + ttl_seconds
        key.update({"Token": {"S": token}, "ExpiresAt": {"N": str(expires)}})
        if key_policy is not None:
            key["KeyPolicy"] = {"L": [{"S": p} for p in key_policy]}
        if key_deny:
            key["KeyDeny"] = {"L": [{"S": p} for p in key_deny]}
        if name:
            key["Name"] = {"S": name}
        if bastion_user:
            key["BastionUser"] = {"S": bastion_user}
        result.update({"Token": token, "ExpiresAt": expires})
        _ddb().put_item(TableName=table, Item=key, ConditionExpression="attribute_not_exists(pk)")
        return result
    # The user's list of permanent keys and the key itself change together, or not at all.
    try:
        _ddb().transact_write_items(TransactItems=[
            {"Update": {"TableName": table, "Key": {"pk": {"S": f"USER#{uin}"}},
                        "UpdateExpression": "SET SecretIds = list_append(SecretIds, :k)",
                        "ConditionExpression": "size(SecretIds) < :max",
                        "ExpressionAttributeValues": {":k": {"L": [{"S": secret_id}]},
                                                      ":max": {"N": str(MAX_PERMANENT_KEYS)}}}},
            {"Put": {"TableName": table, "Item": key, "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    except _ddb().exceptions.TransactionCanceledException:
        raise ApiError("LimitExceeded", f"User {uin} already has {MAX_PERMANENT_KEYS} keys.") from None
    return result


def set_key_status(secret_id: str, enabled: bool) -> None:
    _ddb().update_item(TableName=settings().identity_table, Key={"pk": {"S": f"KEY#{secret_id}"}},
                       UpdateExpression="SET #s = :s", ConditionExpression="attribute_exists(pk)",
                       ExpressionAttributeNames={"#s": "Status"},
                       ExpressionAttributeValues={":s": {"S": "Enabled" if enabled else "Disabled"}})
