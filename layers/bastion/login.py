"""How a bastion user logs in: activation, password, TOTP and SSH keys; the gateway's interface.

Activation (运维员首次登录): the administrator issues a one-time code (24 hours; issuing again
replaces it); with it the user gets a TOTP secret (begin_activation: a QR code for an
authenticator app), then sets a password and proves the authenticator works
(finish_activation), which makes the user active. A code issued to an active user re-enrolls
it the same way (a new password and authenticator).

A login is check_password, then check_totp (or check_public_key, or an access string), then
record_success. Every check first applies login_policy.admit: source whitelist, unknown,
inactive (ActiveStatus 0, outside ValidateFrom/ValidateTo or ValidateTime) and locked users.
A wrong password or TOTP code counts towards the lock; only record_success resets the count,
so a known password does not buy unlimited TOTP guesses. Unknown users and wrong passwords
take the same time (one scrypt run each, and a floor under every refusal) and carry the same
message. Refusals are LoginRefused.

Everything the gateway needs is importable from here; the pieces live in credentials.py,
login_policy.py and access_strings.py.
"""
import base64
import hashlib
import io
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import List, Optional, Tuple

import pyotp
import qrcode

from layers.bastion import access_strings, credentials, login_policy, secrets, store, times
from layers.bastion.access_strings import check_access_string, create_access_string, revoke_access_string
from layers.bastion.credentials import KIND, REASONS, LoginRefused, User
from layers.bastion.login_policy import LoginPolicy, check_source, policy, record_success, set_policy
from layers.gateway.errors import ApiError

__all__ = ["LoginRefused", "REASONS", "User", "Enrollment", "LoginPolicy",
           "issue_activation_code", "begin_activation", "finish_activation",
           "check_password", "check_totp", "check_public_key", "record_success",
           "add_public_key", "remove_public_key", "public_keys", "fingerprint",
           "policy", "set_policy", "check_source",
           "create_access_string", "check_access_string", "revoke_access_string"]

ISSUER = "Guardzone"
ACTIVATION_HOURS = 24
# 16 characters of 32 (5 bits each, no 0/O or 1/I): 80 bits, read out as XXXX-XXXX-XXXX-XXXX.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
KEYS_PER_USER_MAX = 8
REFUSAL_FLOOR = 0.25        # seconds; well above a refused check's own time (one scrypt, a few store calls)
KEY_TYPES = frozenset({"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                       "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
                       "sk-ecdsa-sha2-nistp256@openssh.com"})


@dataclass(frozen=True)
class Enrollment:
    """What the user adds to an authenticator app; repr hides it (it is the second factor)."""
    totp_secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)
    qr_text: str = field(repr=False)


# ---- activation ----

def _code_key(code: str) -> str:
    return "".join(str(code).split()).replace("-", "").upper()


def _code_ok(cred: dict, code: str, at: datetime) -> bool:
    issued = cred.get("Activation")
    return bool(issued) and not credentials.expired(issued["Expires"], at) and \
        credentials.token_matches(_code_key(code), issued["Hash"])


def issue_activation_code(account: str, user_name: str) -> str:
    """A one-time code, valid 24 hours, for the user to activate (or re-enroll) with; it replaces
    any code issued before. Shown once: only its hash is kept."""
    uid = credentials.require_user(account, user_name)["Id"]
    raw = credentials.new_token(16, _CODE_ALPHABET)
    issued = {"Hash": credentials.hash_token(raw),
              "Expires": times.iso(credentials.now() + timedelta(hours=ACTIVATION_HOURS))}

    def write(tx: store.Tx) -> None:
        cred = tx.get(KIND, uid) or {"Id": uid}
        cred.pop("PendingTotp", None)
        cred["Activation"] = issued
        tx.put(KIND, cred)

    store.transaction(account, write)
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _qr_text(uri: str) -> str:
    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    qr.add_data(uri)
    qr.make(fit=True)
    out = io.StringIO()
    # Inverted: dark modules stay blank, so the code reads right on a light-on-dark terminal.
    qr.print_ascii(out=out, invert=True)
    return out.getvalue().replace("\xa0", " ")


def begin_activation(account: str, user_name: str, code: str) -> Enrollment:
    """Check the activation code and hand out a fresh TOTP secret (kept sealed, pending until
    finish_activation). Calling it again hands out another secret."""
    at = credentials.now()
    user = credentials.find_user(account, user_name)
    if user is None or not _code_ok(credentials.load(account, user["Id"]), code, at):
        raise LoginRefused("bad_activation_code")
    uid = user["Id"]
    secret = pyotp.random_base32()
    sealed = secrets.seal(secret, credentials.totp_context(account, uid))

    def write(tx: store.Tx) -> bool:
        cred = tx.get(KIND, uid)
        if not cred or not _code_ok(cred, code, at):
            return False
        cred["PendingTotp"] = sealed
        tx.put(KIND, cred)
        return True

    if not store.transaction(account, write):
        raise LoginRefused("bad_activation_code")
    uri = pyotp.TOTP(secret).provisioning_uri(name=f"{user_name}@{account}", issuer_name=ISSUER)
    return Enrollment(secret, uri, _qr_text(uri))


def _totp_step(secret: str, code: str, at: datetime, after: int) -> Optional[int]:
    """The time-step (within one step of `at`, newer than `after`) whose TOTP code this is."""
    code = "".join(str(code).split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    for step in (now_step - 1, now_step, now_step + 1):
        if step > after and pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            return step
    return None


def finish_activation(account: str, user_name: str, code: str, new_password: str, totp_code: str) -> None:
    """With the same activation code: set the password (weak_password unless 8+ characters with
    letters and digits) and confirm the pending TOTP secret with a current code (bad_totp). The
    user becomes active (ActiveStatus 1) and the code is used up."""
    at = credentials.now()
    user = credentials.find_user(account, user_name)
    cred = credentials.load(account, user["Id"]) if user else {}
    pending = cred.get("PendingTotp")
    if user is None or not _code_ok(cred, code, at):
        raise LoginRefused("bad_activation_code")
    if not pending:
        raise LoginRefused("bad_activation_code", "Start the activation first: no authenticator is enrolled yet.")
    credentials.check_password_rules(new_password, user_name)
    uid = user["Id"]
    step = _totp_step(secrets.open(pending, credentials.totp_context(account, uid)), totp_code, at, after=-1)
    if step is None:
        raise LoginRefused("bad_totp")
    password_hash = credentials.hash_password(new_password)

    def write(tx: store.Tx) -> bool:
        rec, cred = tx.get("user", uid), tx.get(KIND, uid)
        if rec is None or not cred or cred.get("PendingTotp") != pending or not _code_ok(cred, code, at):
            return False
        for done in ("Activation", "PendingTotp"):
            cred.pop(done)
        cred.update({"Password": password_hash, "Totp": pending, "TotpStep": step, "Failures": 0})
        rec["ActiveStatus"] = 1
        tx.put(KIND, cred)
        tx.put("user", rec)
        return True

    if not store.transaction(account, write):
        raise LoginRefused("bad_activation_code")


# ---- login ----

def check_password(account: str, user_name: str, password: str, source_ip: str) -> User:
    """The first factor. Every refusal runs one scrypt and returns no sooner than REFUSAL_FLOOR
    seconds after the call: counting a wrong password writes to the store, an unknown name does
    not, and the caller must not be able to tell them apart by time."""
    started = time.monotonic()
    try:
        return _check_password(account, user_name, password, source_ip)
    except LoginRefused:
        time.sleep(max(0.0, started + REFUSAL_FLOOR - time.monotonic()))
        raise


def _check_password(account: str, user_name: str, password: str, source_ip: str) -> User:
    try:
        user, cred = login_policy.admit(account, user_name, source_ip=source_ip)
        if not cred.get("Password"):
            raise LoginRefused("inactive")
    except LoginRefused:
        credentials.verify_password(password, None)
        raise
    if not credentials.verify_password(password, cred["Password"]):
        # An access string typed at the password prompt is not a wrong password.
        if not access_strings.held(cred, password, credentials.now()):
            login_policy.record_failure(account, user["Id"])
        raise LoginRefused("bad_password")
    return User(account, user)


_turns: dict = {}
_turns_guard = threading.Lock()


def _turn(account: str, uid: int) -> threading.Lock:
    with _turns_guard:
        if len(_turns) > 10_000:
            _turns.clear()
        return _turns.setdefault((account, uid), threading.Lock())


def check_totp(account: str, user_name: str, code: str, source_ip: str) -> None:
    """The second factor: a current code (one step of clock drift either way), each time-step
    accepted once."""
    user, cred = login_policy.admit(account, user_name, source_ip=source_ip)
    uid, sealed = user["Id"], cred.get("Totp")
    if not sealed:
        raise LoginRefused("inactive")
    secret = secrets.open(sealed, credentials.totp_context(account, uid))
    at = credentials.now()

    def write(tx: store.Tx) -> Optional[bool]:
        current = tx.get(KIND, uid)
        if not current or current.get("Totp") != sealed:      # reset or re-enrolled meanwhile
            return None
        step = _totp_step(secret, code, at, after=current.get("TotpStep", -1))
        if step is None:
            return False
        current["TotpStep"] = step
        tx.put(KIND, current)
        return True

    # The store's conditional write makes a step count once across processes; within one, the
    # user's checks also take turns (moto, the local stand-in, checks a condition and writes
    # without holding one request off the other).
    with _turn(account, uid):
        accepted = store.transaction(account, write)
    if accepted is None:
        raise LoginRefused("inactive")
    if not accepted:
        login_policy.record_failure(account, uid)
        raise LoginRefused("bad_totp")


# ---- SSH public keys ----

def _parse_key(key) -> Tuple[str, bytes, str]:
    """(type, wire blob, comment) of an OpenSSH public key line, a wire blob (bytes) or an object
    with `public_data` (an asyncssh key); ValueError if it is none of them."""
    if hasattr(key, "public_data"):
        key = key.public_data
    comment = ""
    if isinstance(key, (bytes, bytearray)):
        blob = bytes(key)
    elif isinstance(key, str):
        parts = key.strip().split(None, 2)
        if len(parts) < 2:
            raise ValueError("not an OpenSSH public key")
        try:
            blob = base64.b64decode(parts[1], validate=True)
        except ValueError:
            raise ValueError("the key's base64 is malformed") from None
        comment = parts[2] if len(parts) > 2 else ""
        if _blob_type(blob) != parts[0]:
            raise ValueError("the key's type does not match its data")
    else:
        raise ValueError("not a public key")
    kind = _blob_type(blob)
    if kind not in KEY_TYPES:
        raise ValueError(f"unsupported key type {kind!r}")
    return kind, blob, comment


def _blob_type(blob: bytes) -> str:
    size = int.from_bytes(blob[:4], "big")
    if len(blob) < 4 + size or size > 64:
        return ""
    return blob[4:4 + size].decode("ascii", "replace")


def fingerprint(key) -> str:
    """OpenSSH's SHA256 fingerprint of a key (as _parse_key reads it)."""
    blob = _parse_key(key)[1]
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _blob_of_line(line: str) -> bytes:
    return base64.b64decode(line.split()[1])


def public_keys(account: str, user_name: str) -> List[str]:
    """The user's authorized keys, as OpenSSH lines."""
    uid = credentials.require_user(account, user_name)["Id"]
    return list(credentials.load(account, uid).get("Keys", []))


def add_public_key(account: str, user_name: str, key: str) -> str:
    """Authorize a public key for the user (again: its comment is updated); returns its fingerprint."""
    try:
        kind, blob, comment = _parse_key(key)
    except ValueError as exc:
        raise ApiError("InvalidParameterValue", f"Not a usable SSH public key: {exc}.") from None
    line = " ".join([kind, base64.b64encode(blob).decode()] + ([comment] if comment else []))
    uid = credentials.require_user(account, user_name)["Id"]

    def write(tx: store.Tx) -> None:
        cred = tx.get(KIND, uid) or {"Id": uid}
        others = [k for k in cred.get("Keys", []) if _blob_of_line(k) != blob]
        if len(others) >= KEYS_PER_USER_MAX:
            raise ApiError("LimitExceeded", f"A user holds at most {KEYS_PER_USER_MAX} public keys.")
        cred["Keys"] = others + [line]
        tx.put(KIND, cred)

    store.transaction(account, write)
    return fingerprint(blob)


def remove_public_key(account: str, user_name: str, key: str) -> bool:
    """Remove a key, named by itself or by its SHA256 fingerprint; False when the user had no such key."""
    uid = credentials.require_user(account, user_name)["Id"]
    wanted = key.strip() if isinstance(key, str) and key.strip().startswith("SHA256:") else None
    if wanted is None:
        try:
            wanted = fingerprint(key)
        except ValueError as exc:
            raise ApiError("InvalidParameterValue", f"Not a usable SSH public key: {exc}.") from None

    def write(tx: store.Tx) -> bool:
        cred = tx.get(KIND, uid)
        keys = cred.get("Keys", []) if cred else []
        kept = [k for k in keys if fingerprint(k) != wanted]
        if len(kept) == len(keys):
            return False
        cred["Keys"] = kept
        tx.put(KIND, cred)
        return True

    return store.transaction(account, write)


def check_public_key(account: str, user_name: str, key, *, source_ip: Optional[str] = None) -> User:
    """A key login: the key must be one of the user's authorized keys. With source_ip the
    whitelist is checked as for any single-factor login (or call check_source first). A refused
    key does not count towards the lock: clients offer several keys in turn."""
    user, cred = login_policy.admit(account, user_name, source_ip=source_ip, single_factor=True)
    try:
        blob = _parse_key(key)[1]
    except ValueError:
        blob = None
    if blob is None or all(_blob_of_line(k) != blob for k in cred.get("Keys", [])):
        raise LoginRefused("bad_password", "This public key is not authorized for the user.")
    return User(account, user)
