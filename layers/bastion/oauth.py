"""OAuth sign-in for bastion users whose AuthType is 2, and the one-time SSH credential it issues.

An SSH client cannot follow a browser redirect, so the sign-in happens on two pages of the API
endpoint (functions/web/bastion_oauth.py) and ends with a credential the gateway accepts:

    GET /bastion/oauth/login?account=<OwnerUin>
        -> 302 to the account's CodeUrl with response_type=code, client_id, redirect_uri, scope
           and state; a cookie binds the state to this browser
    GET /bastion/oauth/callback?code=...&state=...
        -> the code exchanged at TokenUrl (HTTP Basic with ClientId and the unsealed ClientSecret),
           the user's claims read from UserInfoUrl with the access token, the claim
           `preferred_username` (else `username`, else `sub`: the first one present) matched
           exactly to the UserName of a bastion user of that account with AuthType 2
        -> a page showing a one-time credential for that user (32 letters and digits, valid
           TICKET_SECONDS, single use), to type at the gateway's `Password:` prompt in place of
           password and verification code

The state is `<OwnerUin>.<sealed>`: the key store seals (authenticated encryption, bound to the
account and this purpose) a random nonce, the expiry (STATE_SECONDS) and the redirect URI; the
nonce must equal the HttpOnly cookie set with the redirect, so a state opened in another browser
(login CSRF) is refused, and the callback clears the cookie. The credential is kept as a SHA-256
hash in the user's credential record ("OAuthTicket"), replaced by the next sign-in, used up by
the first login that presents it, and forgotten by ResetUser. A first sign-in activates the user
(ActiveStatus 1): the provider vouched for it. Every sign-in and refusal is a login event
(DescribeLoginEvent, Entry 3 web) of the account; the SSH login with the credential is one more
(Entry 1), as every gateway login.
"""
import hmac
import html
import json
import logging
import os
import re
import secrets as _random
import string
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Dict, Optional, Tuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from layers import keystore
from layers.bastion import credentials, login_events, login_policy, oauth_provider, oauth_setting, store, times
from layers.bastion.credentials import LoginRefused, User

log = logging.getLogger("guardzone.bastion.oauth")

AUTH_TYPE = 2                   # the user's AuthType: 0 local, 1 LDAP, 2 OAuth
STATE_SECONDS = 600
TICKET_SECONDS = 300
TICKET_LENGTH = 32
TICKET_ALPHABET = string.ascii_letters + string.digits
USER_CLAIMS = ("preferred_username", "username", "sub")
COOKIE = "gz_bastion_oauth"
WEB_ENTRY = 3                   # LoginEvent.Entry: 3 web
_STATE_PURPOSE = "bastion/oauth-state"
_OWNER = re.compile(r"^[0-9]{1,20}$")

MESSAGES = {
    "bad_request": "The sign-in link is incomplete: start again from the sign-in page.",
    "oauth_disabled": "OAuth sign-in is not enabled for this account.",
    "bad_state": "The sign-in expired or was started in another browser: start again from the sign-in page.",
    "provider_error": "The identity provider did not complete the sign-in.",
    "no_user_claim": "The identity provider did not say who signed in (no preferred_username, username or sub).",
    "unknown_user": "No bastion user signs in with this identity.",
    "wrong_auth_type": "No bastion user signs in with this identity.",
}


class Refused(Exception):
    """A refused sign-in step: `reason` for the login event and logs, `message` for the page."""

    def __init__(self, reason: str, message: str = "", *, account: str = "", user_name: str = "",
                 real_name: str = "", status: int = 403) -> None:
        self.reason, self.message = reason, message or MESSAGES.get(reason, reason)
        self.account, self.user_name, self.real_name, self.status = account, user_name, real_name, status
        super().__init__(self.message)


@dataclass(frozen=True)
class Redirect:
    location: str
    cookie: str = field(repr=False)      # the nonce the state is bound to


@dataclass(frozen=True)
class Issued:
    account: str
    user_name: str
    real_name: str
    expires: str
    credential: str = field(repr=False)


def is_oauth_user(user: Optional[dict]) -> bool:
    return bool(user) and user.get("AuthType", 0) == AUTH_TYPE


# ---- the state ----

def _state_context(account: str) -> dict:
    return {"service": "bastion", "account": account, "field": "oauth-state"}


def _seal_state(account: str, nonce: str, redirect_uri: str) -> str:
    payload = json.dumps({"n": nonce, "e": int(time.time()) + STATE_SECONDS, "r": redirect_uri},
                         separators=(",", ":")).encode("utf-8")
    return f"{account}.{keystore.seal(account, _STATE_PURPOSE, payload, _state_context(account))}"


def _open_state(state: str, cookie: str) -> Tuple[str, str]:
    """(account, redirect_uri) of a state this browser started and that has not expired."""
    account, _, sealed = (state or "").partition(".")
    if not _OWNER.fullmatch(account) or not sealed:
        raise Refused("bad_state", status=400)
    try:
        payload = json.loads(keystore.open(account, _STATE_PURPOSE, sealed, _state_context(account)))
    except (keystore.KeystoreError, ValueError):
        raise Refused("bad_state", account=account if oauth_setting.enabled(account) else "", status=400) from None
    if not cookie or not hmac.compare_digest(str(payload.get("n", "")), cookie) or payload.get("e", 0) < time.time():
        raise Refused("bad_state", account=account, status=400)
    return account, payload["r"]


# ---- the two pages ----

def start(account: str, redirect_uri: str) -> Redirect:
    """Where the sign-in page sends the browser, and the cookie to set."""
    if not _OWNER.fullmatch(account or ""):
        raise Refused("bad_request", "Name the account: /bastion/oauth/login?account=<OwnerUin>.", status=400)
    rec = oauth_setting.record(account)
    if not rec or not rec.get("Enable"):
        raise Refused("oauth_disabled", account=account if rec else "", status=403)
    nonce = _random.token_urlsafe(24)
    query = {"response_type": "code", "client_id": rec["ClientId"], "redirect_uri": redirect_uri,
             "scope": " ".join(rec.get("Scopes") or oauth_setting.DEFAULT_SCOPES),
             "state": _seal_state(account, nonce, redirect_uri)}
    parts = urlsplit(rec["CodeUrl"])
    merged = urlencode(parse_qsl(parts.query, keep_blank_values=True) + list(query.items()))
    return Redirect(urlunsplit((parts.scheme, parts.netloc, parts.path, merged, "")), nonce)


def _user_name(claims: dict) -> str:
    for claim in USER_CLAIMS:
        value = claims.get(claim)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    return ""


def finish(params: Dict[str, str], cookie: str) -> Issued:
    """The callback: the provider's answer to a one-time credential, or Refused."""
    account, redirect_uri = _open_state(params.get("state", ""), cookie)
    if params.get("error"):
        code = "".join(c for c in params["error"][:64] if c.isprintable())
        raise Refused("provider_error", f"The identity provider refused the sign-in ({code}).", account=account)
    if not params.get("code"):
        raise Refused("bad_request", account=account, status=400)
    provider = oauth_setting.provider(account)
    if provider is None:
        raise Refused("oauth_disabled", account=account)
    try:
        token = oauth_provider.exchange(provider, params["code"], redirect_uri)
        claims = oauth_provider.user_info(provider, token)
    except oauth_provider.ProviderError as exc:
        raise Refused("provider_error", f"{MESSAGES['provider_error']} ({exc})", account=account,
                      status=502) from None
    name = _user_name(claims)
    if not name:
        raise Refused("no_user_claim", account=account)
    user = credentials.find_user(account, name)
    if user is None:
        raise Refused("unknown_user", account=account, user_name=name)
    who = {"account": account, "user_name": name, "real_name": user.get("RealName", "")}
    if not is_oauth_user(user):
        raise Refused("wrong_auth_type", **who)
    try:
        login_policy.admit(account, name, require_active=False)
    except LoginRefused as exc:
        raise Refused(exc.reason, exc.message, **who) from None
    return _issue(account, user["Id"], name, who["real_name"])


def _issue(account: str, uid: int, name: str, real_name: str) -> Issued:
    """A fresh credential for the user (the previous one stops working); a first sign-in activates."""
    secret = credentials.new_token(TICKET_LENGTH, TICKET_ALPHABET)
    expires = times.iso(credentials.now() + timedelta(seconds=TICKET_SECONDS))

    def write(tx: store.Tx) -> bool:
        rec = tx.get("user", uid)
        if rec is None or not is_oauth_user(rec):
            return False
        cred = tx.get(credentials.KIND, uid) or {"Id": uid}
        cred["OAuthTicket"] = {"Hash": credentials.hash_token(secret), "Expires": expires}
        tx.put(credentials.KIND, cred)
        if rec.get("ActiveStatus") != 1:
            rec["ActiveStatus"] = 1
            tx.put("user", rec)
        return True

    if not store.transaction(account, write):       # deleted or changed to another AuthType meanwhile
        raise Refused("unknown_user", account=account, user_name=name)
    return Issued(account, name, real_name, expires, secret)


# ---- the gateway's side ----

def check_ticket(account: str, user_name: str, secret: str, source_ip: str) -> User:
    """The login of an OAuth user: `secret` must be its unexpired one-time credential, which this
    uses up. Refusals as for a password (whitelist, inactive, locked; a wrong credential counts
    towards the lock unless it is one of the user's access strings), and no sooner than
    login.REFUSAL_FLOOR seconds, as a wrong password."""
    from layers.bastion import access_strings, login
    started = time.monotonic()
    try:
        user, cred = login_policy.admit(account, user_name, source_ip=source_ip)
        if not is_oauth_user(user):
            raise LoginRefused("bad_oauth_credential")
        uid, at = user["Id"], credentials.now()
        entry = cred.get("OAuthTicket")
        if (not entry or credentials.expired(entry["Expires"], at)
                or not credentials.token_matches(secret, entry["Hash"])):
            if not access_strings.held(cred, secret, at):
                login_policy.record_failure(account, uid)
            raise LoginRefused("bad_oauth_credential")

        def use(tx: store.Tx) -> bool:
            current = tx.get(credentials.KIND, uid)
            if not current or current.get("OAuthTicket") != entry:
                return False            # used (or replaced) meanwhile
            del current["OAuthTicket"]
            tx.put(credentials.KIND, current)
            return True

        with login._turn(account, uid):        # one use within the process too (see check_totp)
            if not store.transaction(account, use):
                raise LoginRefused("bad_oauth_credential")
        return User(account, user)
    except LoginRefused as exc:
        time.sleep(max(0.0, started + login.REFUSAL_FLOOR - time.monotonic()))
        if exc.reason == "inactive" and exc.message == credentials.MESSAGES["inactive"]:
            raise LoginRefused("inactive", "The account is not active yet: sign in with OAuth first.") from None
        raise


# ---- events and pages ----

def record(account: str, *, user_name: str, real_name: str, source_ip: str, ok: bool, reason: str) -> None:
    """The sign-in's login event (Entry 3, web); never fails the page."""
    if not account:
        log.info("OAuth sign-in from %s refused: %s", source_ip, reason)
        return
    try:
        login_events.publish(account, user_name=user_name, real_name=real_name, source_ip=source_ip,
                             entry=WEB_ENTRY, result=1 if ok else 2, reason=reason,
                             time_ms=int(time.time() * 1000))
    except Exception as exc:
        log.error("OAuth sign-in event of %s not published (%s)", user_name, type(exc).__name__)


HEADERS = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Pragma": "no-cache",
           "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"}


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>" + html.escape(title) + "</title>"
            "<style>body{font-family:sans-serif;max-width:40em;margin:3em auto}code{font-size:1.2em;"
            "background:#eee;padding:.2em .4em;user-select:all}</style></head><body><h1>"
            + html.escape(title) + "</h1>" + body + "</body></html>")


def issued_page(issued: Issued) -> str:
    port = os.environ.get("GZ_SSH_PORT") or "8322"
    login_name = html.escape(f"{issued.user_name}@{issued.account}/ACCOUNT/HOST")
    return _page("Bastion sign-in", (
        f"<p>Signed in as <b>{html.escape(issued.user_name)}</b>. Your one-time SSH credential:</p>"
        f"<p><code id=\"credential\">{html.escape(issued.credential)}</code></p>"
        f"<p>Connect with <code>ssh -p {html.escape(port)} {login_name}@GATEWAY</code> and type it at "
        "<code>Password:</code>; no verification code is asked. It works once, until "
        f"{html.escape(issued.expires)}.</p>"))


def refused_page(exc: Refused) -> str:
    return _page("Bastion sign-in refused", f"<p id=\"refused\" data-reason=\"{html.escape(exc.reason)}\">"
                                            f"{html.escape(exc.message)}</p>")


def cookie_header(value: str, path: str, secure: bool, max_age: int = STATE_SECONDS) -> str:
    return (f"{COOKIE}={value}; Max-Age={max_age}; Path={path}; HttpOnly; SameSite=Lax"
            + ("; Secure" if secure else ""))
