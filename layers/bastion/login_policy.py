"""An account's login security (登录安全设置, 访问白名单) and the checks every login method shares.

    max_failures        consecutive failed passwords or TOTP codes that lock the user (3-5, default 5)
    lock_minutes        how long the lock lasts (10-30, default 30); ResetUser unlocks at once
    idle_minutes        the gateway's idle timeout for a session (10-30, default 30)
    whitelist           source IPs and CIDRs logins may come from; empty: any source
    whitelist_auto_add  the seed's automatic whitelist (default off): every successful login adds its
                        source address to the list. As in the seed, where the operator web page's
                        login (password + second factor) adds the address and the list restricts
                        the local tools, a login is let in from any address while it is on: that
                        is how an address gets learned. Single-factor checks (check_access_string,
                        check_public_key) given the source address still keep to the listed ones.
                        Turning it off makes the learned list restrict every login.

The ranges are those of the seed's settings page. Failures count in a row: a successful login
(record_success) resets the count, and so does a lock. Stored as the account's one "loginpolicy"
record (Id 0).
"""
import ipaddress
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import List, Optional, Tuple, Union

from layers.bastion import credentials, store, times
from layers.bastion.credentials import LoginRefused
from layers.gateway.errors import ApiError

KIND = "loginpolicy"
_ID = 0
WHITELIST_MAX = 1000
_RANGES = {"max_failures": (3, 5), "lock_minutes": (10, 30), "idle_minutes": (10, 30)}
_STORED = {"max_failures": "MaxFailures", "lock_minutes": "LockMinutes", "idle_minutes": "IdleMinutes",
           "whitelist": "Whitelist", "whitelist_auto_add": "WhitelistAutoAdd"}


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lock_minutes: int = 30
    idle_minutes: int = 30
    whitelist: List[str] = field(default_factory=list)
    whitelist_auto_add: bool = False

    def listed(self, ip: str) -> bool:
        """Whether an entry of the whitelist covers this address."""
        addr = _address(ip)
        return addr is not None and any(addr in ipaddress.ip_network(e) for e in self.whitelist)

    def allows(self, ip: str) -> bool:
        """Whether the whitelist lets this address in (an empty list lets any in)."""
        return not self.whitelist or self.listed(ip)

    def as_dict(self) -> dict:
        return asdict(self)


def _address(ip: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    try:
        addr = ipaddress.ip_address(str(ip).strip().strip("[]").split("%")[0])
    except ValueError:
        return None
    return getattr(addr, "ipv4_mapped", None) or addr


def normalize_entry(entry: str) -> str:
    """An IP or CIDR in canonical form ("10.1.2.3", "10.0.0.0/8"); ValueError if it is neither."""
    net = ipaddress.ip_network(entry.strip(), strict=False)
    if isinstance(net, ipaddress.IPv6Network) and net.network_address.ipv4_mapped and net.prefixlen >= 96:
        net = ipaddress.ip_network(f"{net.network_address.ipv4_mapped}/{net.prefixlen - 96}")
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def _from_record(rec: Optional[dict]) -> LoginPolicy:
    if not rec:
        return LoginPolicy()
    return LoginPolicy(**{name: rec[key] for name, key in _STORED.items() if key in rec})


def _to_record(pol: LoginPolicy) -> dict:
    return {"Id": _ID, **{key: getattr(pol, name) for name, key in _STORED.items()}}


def policy(account: str) -> LoginPolicy:
    return _from_record(store.get_many(account, KIND, [_ID]).get(_ID))


def _validated(changes: dict) -> dict:
    unknown = set(changes) - set(_STORED)
    if unknown:
        raise TypeError(f"unknown login policy field(s): {', '.join(sorted(unknown))}")
    out = {}
    for name, value in changes.items():
        if name in _RANGES:
            low, high = _RANGES[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ApiError("InvalidParameterValue", f"{name} must be a whole number from {low} to {high}.")
        elif name == "whitelist_auto_add":
            if not isinstance(value, bool):
                raise ApiError("InvalidParameterValue", "whitelist_auto_add must be true or false.")
        else:
            if isinstance(value, str):
                raise ApiError("InvalidParameterValue", "whitelist must be a list of IPs or CIDRs.")
            try:
                value = list(dict.fromkeys(normalize_entry(e) for e in value if str(e).strip()))
            except (TypeError, ValueError):
                raise ApiError("InvalidParameterValue", "whitelist entries must be IP addresses or CIDR "
                               "blocks, e.g. 203.0.113.7 or 10.0.0.0/8.") from None
            if len(value) > WHITELIST_MAX:
                raise ApiError("LimitExceeded", f"The whitelist holds at most {WHITELIST_MAX} entries.")
        out[name] = value
    return out


def set_policy(account: str, **changes) -> LoginPolicy:
    """Change some fields (the others stay); returns the policy now in force."""
    changes = _validated(changes)

    def write(tx: store.Tx) -> LoginPolicy:
        pol = replace(_from_record(tx.get(KIND, _ID)), **changes)
        tx.put(KIND, _to_record(pol))
        return pol

    return store.transaction(account, write)


def check_source(account: str, ip: str, *, single_factor: bool = False) -> None:
    """LoginRefused("ip_not_allowed") unless the whitelist lets `ip` in. While automatic
    whitelisting is on, any address passes, except for a single-factor login (an access string
    or SSH key alone), which only a listed address (or an empty list) passes."""
    pol = policy(account)
    if _address(ip) is None or not (pol.allows(ip) or (pol.whitelist_auto_add and not single_factor)):
        raise LoginRefused("ip_not_allowed")


# ---- the user's state ----

def _in_hours(mask: str, at: datetime) -> bool:
    """ValidateTime: 168 flags, one per hour of the week from Monday 00:00 (China Standard Time)."""
    if len(mask or "") != 168:
        return True
    local = at.astimezone(times.CST)
    return mask[local.weekday() * 24 + local.hour] == "1"


def lock_over(user: dict, at: datetime) -> bool:
    return bool(user.get("LockedUntil")) and credentials.expired(user["LockedUntil"], at)


def locked(user: dict, at: datetime) -> bool:
    return user.get("LockStatus", 0) == 1 and not lock_over(user, at)


def _unlock(account: str, user_id: int) -> None:
    at = credentials.now()

    def write(tx: store.Tx) -> None:
        user = tx.get("user", user_id)
        if user is not None and user.get("LockStatus") == 1 and lock_over(user, at):
            user["LockStatus"] = 0
            user.pop("LockedUntil", None)
            tx.put("user", user)

    store.transaction(account, write)


def admit(account: str, user_name: str, *, source_ip: Optional[str] = None,
          single_factor: bool = False, require_active: bool = True) -> Tuple[dict, dict]:
    """The checks before any credential: the source address (when given), then that the user
    exists, is active (unless require_active is False: an OAuth sign-in activates), within
    ValidateFrom/ValidateTo and ValidateTime, and not locked (a lock whose time has passed is
    lifted here). Returns the user and credential records."""
    if source_ip is not None:
        check_source(account, source_ip, single_factor=single_factor)
    user = credentials.find_user(account, user_name)
    if user is None:
        raise LoginRefused("unknown_user")
    if require_active and user.get("ActiveStatus", 0) != 1:
        raise LoginRefused("inactive")
    at = credentials.now()
    if times.window_status(user.get("ValidateFrom"), user.get("ValidateTo"), at) != 1:
        raise LoginRefused("inactive", "The account is outside its validity period.")
    if not _in_hours(user.get("ValidateTime", ""), at):
        raise LoginRefused("inactive", "The account may not log in at this hour.")
    if user.get("LockStatus", 0) == 1:
        if not lock_over(user, at):
            raise LoginRefused("locked")
        _unlock(account, user["Id"])
    return user, credentials.load(account, user["Id"])


def record_failure(account: str, user_id: int) -> bool:
    """Count a failed password or TOTP code; True when the user is (now) locked."""
    pol, at = policy(account), credentials.now()

    def write(tx: store.Tx) -> bool:
        user = tx.get("user", user_id)
        if user is None:
            return False
        if locked(user, at):
            return True
        cred = tx.get(credentials.KIND, user_id) or {"Id": user_id}
        failures = cred.get("Failures", 0) + 1
        lock = failures >= pol.max_failures
        if lock:
            user.update({"LockStatus": 1, "LockedUntil": times.iso(at + timedelta(minutes=pol.lock_minutes))})
            tx.put("user", user)
        cred["Failures"] = 0 if lock else failures
        tx.put(credentials.KIND, cred)
        return lock

    return store.transaction(account, write)


def record_success(account: str, user_name: str, ip: str) -> None:
    """After a whole login succeeded: reset the failure count and, with automatic whitelisting,
    add the source address when no entry covers it yet (while the list has room)."""
    user = credentials.find_user(account, user_name)
    if user is None:
        raise LoginRefused("unknown_user")
    uid = user["Id"]
    addr = _address(ip)

    def write(tx: store.Tx) -> None:
        cred = tx.get(credentials.KIND, uid)
        if cred and cred.get("Failures"):
            cred["Failures"] = 0
            tx.put(credentials.KIND, cred)
        pol = _from_record(tx.get(KIND, _ID))
        if (pol.whitelist_auto_add and addr is not None and not pol.listed(str(addr))
                and len(pol.whitelist) < WHITELIST_MAX):
            tx.put(KIND, _to_record(replace(pol, whitelist=pol.whitelist + [str(addr)])))

    store.transaction(account, write)
