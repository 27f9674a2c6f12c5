"""What an operator may open a session to, decided exactly as the control plane defines it.

The host of a login name is the account's device with that IP (private or public), instance id
or name; a name several devices share is refused with the candidates listed. The session is
allowed when:
  - the bastion user is unlocked (LockStatus 0), within its validity window (ValidateFrom/To)
    and within its week mask (ValidateTime: 168 hours, Monday 00:00 China Standard Time first);
  - the device is bound to a resource that is deployed and not expired;
  - the device has an account of that name;
  - some ACL in effect (its ValidateFrom/To) names the user (or a group of it) and the device
    (or a group of it), and AllowAnyAccount or its AccountSet names the account.
A denial carries a machine reason (kept with the login event) and one line for the operator.
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional

from layers.bastion import billing, times
from layers.bastion.snapshot import Snapshot


class Denied(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class Grant:
    owner: str
    user: dict
    device: dict
    device_account: dict
    acls: List[dict] = field(default_factory=list)
    templates: Dict[int, dict] = field(default_factory=dict)     # the granting ACLs' command templates

    @property
    def host(self) -> str:
        return self.device.get("PrivateIp") or self.device.get("PublicIp")

    @property
    def port(self) -> int:
        return int(self.device.get("Port") or 22)

    @property
    def keyboard_logger(self) -> bool:
        return any(a.get("AllowKeyboardLogger") for a in self.acls)

    @property
    def access_credential(self) -> bool:
        return any(a.get("AllowAccessCredential", True) for a in self.acls)


def find_user(snap: Snapshot, user_name: str) -> Optional[dict]:
    return next((u for u in snap.users.values() if u["UserName"] == user_name), None)


def is_database(device: dict) -> bool:
    return device.get("OsName") == "MySQL"


def find_device(snap: Snapshot, host: str, database: Optional[bool] = None) -> dict:
    """The device a login name's host part names: by IP (or IP:port), instance id, then name;
    with `database` set, among the database devices (True) or the others (False) only, so that a
    host and a database on one address are each reached by their own gateway."""
    devices = [d for d in snap.devices.values() if database is None or is_database(d) == database]
    ip, _, port = host.rpartition(":")
    by_port = [d for d in devices if port.isdigit() and ip.strip("[]") in (d.get("PrivateIp"), d.get("PublicIp"))
               and str(d.get("Port")) == port]
    for matches in (by_port, [d for d in devices if host in (d.get("PrivateIp"), d.get("PublicIp"))],
                    [d for d in devices if d.get("InstanceId") and d["InstanceId"] == host],
                    [d for d in devices if d.get("Name") == host]):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(f"{d.get('InstanceId') or d['Name']} ({d.get('PrivateIp') or d.get('PublicIp')})"
                               for d in sorted(matches, key=lambda d: d["Id"])[:10])
            raise Denied("ambiguous_host", f"`{host}` names {len(matches)} hosts: {listed}; "
                                           "log in with the IP or the instance id")
    raise Denied("unknown_host", f"no host `{host}` in this bastion")


def in_week_mask(mask: str, at: datetime) -> bool:
    local = at.astimezone(times.CST)
    hour = local.weekday() * 24 + local.hour
    return len(mask) != 168 or mask[hour] == "1"


def authorize(snap: Snapshot, user: dict, host: str, account_name: str, at: Optional[datetime] = None,
              database: bool = False, device_id: Optional[int] = None) -> Grant:
    """The session's Grant, or Denied. `device_id` names the device itself (the H5 terminal
    knows it) in place of finding it by `host`."""
    at = at or times.now()
    if user.get("LockStatus"):
        raise Denied("user_locked", "your bastion user is locked; ask an administrator to unlock it")
    state = times.window_status(user.get("ValidateFrom"), user.get("ValidateTo"), at)
    if state != 1:
        raise Denied("user_not_valid", "your bastion user is " + ("not valid yet" if state == 2 else "expired"))
    if not in_week_mask(user.get("ValidateTime", ""), at):
        raise Denied("outside_hours", "your bastion user may not log in at this hour of the week")
    if device_id is None:
        device = find_device(snap, host, database)
    elif device_id in snap.devices and is_database(snap.devices[device_id]) == database:
        device = snap.devices[device_id]
    else:
        raise Denied("unknown_host", f"no host `{host}` in this bastion")
    resource = snap.resource_by_rid(device.get("ResourceId", ""))
    if resource is None or billing.status(resource) != 1:
        raise Denied("device_unbound", f"host `{host}` is not bound to an active bastion resource")
    device_account = next((a for a in snap.accounts.values()
                           if a["DeviceId"] == device["Id"] and a["Account"] == account_name), None)
    if device_account is None:
        raise Denied("unknown_account", f"host `{host}` has no account `{account_name}`")
    granting, expired = [], False
    for acl in sorted(snap.acls.values(), key=lambda a: a["Id"]):
        if user["Id"] not in snap.acl_users(acl) or device["Id"] not in snap.acl_devices(acl):
            continue
        if not (acl.get("AllowAnyAccount") or account_name in acl.get("AccountSet", [])):
            continue
        if times.window_status(acl.get("ValidateFrom"), acl.get("ValidateTo"), at) != 1:
            expired = True
            continue
        granting.append(acl)
    if not granting:
        if expired:
            raise Denied("acl_not_valid", f"your access to `{account_name}` on `{host}` is not in effect now")
        raise Denied("no_acl", f"no access permission lets you reach `{account_name}` on `{host}`")
    wanted = {t for acl in granting for t in acl.get("CmdTemplateIds", [])}
    return Grant(snap.account, user, device, device_account, granting,
                 {tid: tpl for tid, tpl in snap.templates.items() if tid in wanted})


_USER_WIDE = ("user_locked", "user_not_valid", "outside_hours")


def reachable(snap: Snapshot, user: dict, at: Optional[datetime] = None) -> List[Grant]:
    """What the user may open a terminal session to now: a Grant per host account (databases
    left out), by device then account. Denied when the user itself may reach nothing now (locked,
    outside its validity or hours)."""
    at = at or times.now()
    found = []
    for acct in sorted(snap.accounts.values(), key=lambda a: (a["DeviceId"], a["Account"], a["Id"])):
        device = snap.devices.get(acct["DeviceId"])
        if device is None or is_database(device):
            continue
        try:
            found.append(authorize(snap, user, device.get("PrivateIp") or device.get("PublicIp") or "",
                                   acct["Account"], at, device_id=device["Id"]))
        except Denied as exc:
            if exc.reason in _USER_WIDE:
                raise
    return found
