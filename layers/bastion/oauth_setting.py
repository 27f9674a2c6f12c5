"""An account's OAuth 2.0 provider for bastion sign-in (ModifyOAuthSetting), kept as one record.

    {"Id": 0, "Enable": true, "AuthMethod": "okta", "ClientId": "...", "ClientSecret": <sealed>,
     "CodeUrl": "https://idp/oauth2/v1/authorize", "TokenUrl": "https://idp/oauth2/v1/token",
     "UserInfoUrl": "https://idp/oauth2/v1/userinfo", "Scopes": ["openid", "profile", "email"]}

store kind "oauth" (Id 0), which no API view reads. A ModifyOAuthSetting changes the fields it
sends and keeps the others, so the client secret need not be sent again to change a URL; with
Enable true the result must name ClientId, ClientSecret and the three URLs. The client secret is
sealed by the key store (layers/bastion/secrets.py) for the account and this field, and opened
only by `provider()` for a sign-in; nothing answers or logs it.
"""
import re
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import urlsplit

from layers.bastion import secrets, store, times
from layers.gateway.errors import ApiError, invalid_value

KIND = "oauth"
_ID = 0
store.SHARD_SIZE.setdefault(KIND, 1)

DEFAULT_SCOPES = ("openid", "profile", "email")       # the SDK: "为空时默认使用 openid、profile、email"
MAX_SCOPES = 20
MAX_URL = 1024
REQUIRED = ("ClientId", "ClientSecret", "CodeUrl", "TokenUrl", "UserInfoUrl")
URLS = ("CodeUrl", "TokenUrl", "UserInfoUrl")
_AUTH_METHOD = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_CLIENT_ID = re.compile(r"^[\x21-\x7e]{1,256}$")
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{1,128}$")      # RFC 6749 scope-token
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _context(account: str) -> dict:
    return {"service": "bastion", "account": account, "setting": "oauth", "field": "ClientSecret"}


@dataclass(frozen=True)
class Provider:
    """What a sign-in needs; repr hides the client secret."""
    account: str
    auth_method: str
    client_id: str
    client_secret: str = field(repr=False)
    code_url: str = ""
    token_url: str = ""
    userinfo_url: str = ""
    scopes: tuple = DEFAULT_SCOPES


def check_url(name: str, value: str) -> str:
    """An absolute http(s) URL with a host, without user info or fragment."""
    if not value or len(value) > MAX_URL or _CONTROL.search(value) or " " in value:
        raise invalid_value(name, f"an http or https URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(value)
        parts.port             # noqa: B018 (raises on a bad port)
    except ValueError:
        raise invalid_value(name, "not a URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise invalid_value(name, "must be an absolute http:// or https:// URL with a host")
    if "@" in parts.netloc:
        raise invalid_value(name, "must not carry a user name or password")
    if parts.fragment:
        raise invalid_value(name, "must not have a fragment (#...)")
    return value


def _check(name: str, value, pattern: re.Pattern, why: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise invalid_value(name, why)
    return value


def validated(changes: dict) -> dict:
    """The given fields checked (None: not given); InvalidParameterValue naming the first bad one."""
    out = {}
    for name, value in changes.items():
        if value is None:
            continue
        if name == "AuthMethod":
            out[name] = _check(name, value, _AUTH_METHOD, "1 to 32 letters, digits, `_`, `.` or `-`, e.g. okta")
        elif name == "ClientId":
            out[name] = _check(name, value, _CLIENT_ID, "1 to 256 visible ASCII characters")
        elif name == "ClientSecret":
            if not value or len(value) > 512 or _CONTROL.search(value):
                raise invalid_value(name, "1 to 512 characters without control characters")
            out[name] = value
        elif name in URLS:
            out[name] = check_url(name, value)
        elif name == "Scopes":
            if len(value) > MAX_SCOPES:
                raise invalid_value(name, f"at most {MAX_SCOPES} scopes")
            for scope in value:
                _check(name, scope, _SCOPE, "each scope 1 to 128 visible ASCII characters other than `\"` and `\\`")
            out[name] = list(dict.fromkeys(value))
        elif name == "Enable":
            out[name] = bool(value)
        else:
            raise TypeError(f"unknown OAuth setting {name!r}")
    return out


def modify(account: str, **changes) -> None:
    """ModifyOAuthSetting: apply the given fields (None: keep the stored value)."""
    changes = validated(changes)
    secret = changes.pop("ClientSecret", None)
    sealed = secrets.seal(secret, _context(account)) if secret is not None else None

    def write(tx: store.Tx) -> None:
        rec = dict(tx.get(KIND, _ID) or {"Id": _ID, "Enable": False})
        rec.update(changes)
        if sealed is not None:
            rec["ClientSecret"] = sealed
        if rec.get("Enable"):
            for name in REQUIRED:
                if not rec.get(name):
                    raise ApiError("MissingParameter", f"The parameter `{name}` is required to enable OAuth "
                                                       "sign-in (Enable is true).")
        rec["UpdateTime"] = times.iso_now()
        tx.put(KIND, rec)

    store.transaction(account, write)


def record(account: str) -> Optional[dict]:
    """The stored setting, the client secret still sealed (None: never set)."""
    return store.get_many(account, KIND, [_ID]).get(_ID)


def enabled(account: str) -> bool:
    rec = record(account)
    return bool(rec and rec.get("Enable"))


def provider(account: str) -> Optional[Provider]:
    """The enabled setting with the client secret opened; None when OAuth sign-in is off."""
    rec = record(account)
    if not rec or not rec.get("Enable"):
        return None
    return Provider(account=account, auth_method=rec.get("AuthMethod", ""), client_id=rec["ClientId"],
                    client_secret=secrets.open(rec["ClientSecret"], _context(account)),
                    code_url=rec["CodeUrl"], token_url=rec["TokenUrl"], userinfo_url=rec["UserInfoUrl"],
                    scopes=tuple(rec.get("Scopes") or DEFAULT_SCOPES))

