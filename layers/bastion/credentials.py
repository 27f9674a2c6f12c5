"""A bastion user's login secrets: the "credential" record and how each secret is kept.

One record per user Id (store kind "credential"); no API view reads this kind:

    Password       "scrypt$<log2 N>$<r>$<p>$<salt>$<hash>" (base64 salt and hash)
    Totp           the TOTP secret, sealed (layers/bastion/secrets.py) for this account and user
    TotpStep       the last time-step a TOTP code was accepted for, so each code works once
    PendingTotp    the sealed secret begin_activation handed out, until finish_activation
    Activation     {"Hash", "Expires"}: the one-time activation code
    Failures       consecutive failed passwords and TOTP codes
    Keys           authorized SSH public keys, "type base64 [comment]"
    AccessStrings  {"<device account Id>": {"Hash", "Expires"}}
    OAuthTicket    {"Hash", "Expires"}: the one-time SSH credential of an OAuth sign-in (oauth.py)

Passwords are hashed slowly (scrypt, random salt). Activation codes and access strings are random
with 80 bits or more, so one SHA-256 of them is enough. The lock (LockStatus, LockedUntil) is on
the user record, where DescribeUsers shows LockStatus. Standard library only: the control plane's
ResetUser and DeleteUsers import this module.
"""
import base64
import hashlib
import hmac
import secrets as _random
import string
from datetime import datetime, timezone
from typing import Iterable, Optional, Tuple

from layers.bastion import checks, store, times

KIND = "credential"

_AMBIGUOUS_NAME = "Wrong user name or password."
MESSAGES = {
    "unknown_user": _AMBIGUOUS_NAME,          # the same words as bad_password: names are not revealed
    "bad_password": _AMBIGUOUS_NAME,
    "inactive": "The account is not active: activate it with the code from your administrator.",
    "bad_totp": "Wrong or already used verification code.",
    "locked": "The account is locked after too many failed logins; try again later or ask your administrator.",
    "ip_not_allowed": "Logins from this address are not allowed.",
    "bad_activation_code": "The activation code is wrong, expired or already used.",
    "weak_password": "The password needs 8 to 128 characters with both letters and digits, "
                     "and must differ from the user name.",
    "bad_oauth_credential": "Wrong, expired or already used one-time credential: sign in with OAuth again.",
}
REASONS = frozenset(MESSAGES)


class LoginRefused(Exception):
    """A refused login or activation step: `reason` is one of REASONS (for the gateway's logic and
    logs), `message` one line for the person logging in. Neither ever contains a secret."""

    def __init__(self, reason: str, message: Optional[str] = None) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}")
        self.reason, self.message = reason, message or MESSAGES[reason]
        super().__init__(self.message)


class User(dict):
    """The bastion user a login resolved to: the user record (it holds no secret), read as the
    control plane's records are (user["UserName"], user["GroupIds"]) or as attributes."""

    def __init__(self, account: str, rec: dict) -> None:
        super().__init__(rec)
        self.account = account

    @property
    def id(self) -> int:
        return self["Id"]

    @property
    def user_name(self) -> str:
        return self["UserName"]

    @property
    def real_name(self) -> str:
        return self.get("RealName", "")

    @property
    def group_ids(self) -> Tuple[int, ...]:
        return tuple(self.get("GroupIds", ()))


def now() -> datetime:
    """The login clock (tests replace it)."""
    return datetime.now(timezone.utc)


def find_user(account: str, user_name: str) -> Optional[dict]:
    for rec in store.load_all(account, "user").values():
        if rec["UserName"] == user_name:
            return rec
    return None


def require_user(account: str, user_name: str) -> dict:
    """For administrative calls: ResourceNotFound when there is no such user."""
    return checks.require(find_user(account, user_name), user_name, checks.USER)


def load(account: str, user_id: int) -> dict:
    return store.get_many(account, KIND, [user_id]).get(user_id) or {"Id": user_id}


def totp_context(account: str, user_id: int) -> dict:
    return {"service": "bastion", "account": account, "user": str(user_id), "field": "totp"}


def expired(stamp: str, at: datetime) -> bool:
    """An ISO expiry ("" = never) that has passed."""
    return bool(stamp) and times.parse(stamp) <= at


# ---- passwords ----

_SCRYPT = (14, 8, 1)            # log2 N, r, p: 16 MiB and tens of milliseconds per check
_MAX_PASSWORD = 128


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _scrypt(password: str, salt: bytes, log_n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=1 << log_n, r=r, p=p, dklen=length,
                          maxmem=256 * r * (1 << log_n))


def hash_password(password: str) -> str:
    salt = _random.token_bytes(16)
    log_n, r, p = _SCRYPT
    return f"scrypt${log_n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, log_n, r, p, 32))}"


# Stands in for a missing hash so that every password check costs one scrypt run.
_DUMMY = f"scrypt${_SCRYPT[0]}${_SCRYPT[1]}${_SCRYPT[2]}${_b64(_random.token_bytes(16))}${_b64(bytes(32))}"


def verify_password(password: str, stored: Optional[str]) -> bool:
    """Whether `password` matches `stored`; with stored None, the same work and False."""
    real = stored is not None
    _, log_n, r, p, salt, digest = (stored if real else _DUMMY).split("$")
    if not isinstance(password, str) or len(password) > _MAX_PASSWORD:
        password, real = "", False
    got = _scrypt(password, base64.b64decode(salt), int(log_n), int(r), int(p), len(base64.b64decode(digest)))
    return hmac.compare_digest(got, base64.b64decode(digest)) and real


def check_password_rules(password: str, user_name: str) -> None:
    """At least 8 characters (at most 128) with letters and digits, not the user name."""
    if (not isinstance(password, str) or not 8 <= len(password) <= _MAX_PASSWORD
            or not any(c.isalpha() for c in password) or not any(c in string.digits for c in password)
            or password.casefold() == user_name.casefold()):
        raise LoginRefused("weak_password")


# ---- random tokens (activation codes, access strings) ----

def new_token(length: int, alphabet: str) -> str:
    return "".join(_random.choice(alphabet) for _ in range(length))


def hash_token(token: str) -> str:
    return _b64(hashlib.sha256(token.encode("utf-8")).digest())


def token_matches(token: str, stored_hash: str) -> bool:
    return isinstance(token, str) and hmac.compare_digest(hash_token(token), stored_hash or "")


# ---- the control plane's side ----

def clear_secrets(tx: store.Tx, user_ids: Iterable[int]) -> None:
    """ResetUser: forget every secret a user logs in with and the failure count; the authorized
    public keys stay (they are not secrets, and the user must activate again before they work)."""
    for uid, cred in tx.get_many(KIND, user_ids).items():
        if cred.get("Keys"):
            tx.put(KIND, {"Id": uid, "Keys": cred["Keys"]})
        else:
            tx.delete(KIND, uid)


def forget(tx: store.Tx, user_ids: Iterable[int]) -> None:
    """DeleteUsers: the users' credential records go with them."""
    for uid in tx.get_many(KIND, user_ids):
        tx.delete(KIND, uid)
