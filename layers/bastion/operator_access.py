"""What a bastion user may open from the console, and the ticket that opens it (the H5 terminal).

    hosts(account, user_name)       the host accounts the user may reach now, grouped by device
                                    (layers/bastion/ssh/access.reachable: the gateway's own rules)
    ticket(account, user_name, device_account_id, cols, rows, source_ip)
                                    the checks of a login (login_policy.admit) and the ACLs for that
                                    device account, then a ticket (web_tickets.issue)

A refusal is an ApiError with the one line the gateway would show, and (for a ticket) a login
event, Entry 3, as the gateway records one; the gateway checks all of it again when the ticket is
used."""
import logging
import os
import time
from typing import List, Tuple

from layers.bastion import login_events, login_policy, web_tickets
from layers.bastion.credentials import LoginRefused
from layers.bastion.snapshot import Snapshot
from layers.bastion.ssh import access
from layers.gateway.errors import ApiError

log = logging.getLogger("guardzone.bastion.console")
WEB_ENTRY = 3
DEFAULT_PORT = 8324


def _user(snap: Snapshot, user_name: str) -> dict:
    user = access.find_user(snap, user_name)
    if user is None:
        raise ApiError("ResourceNotFound", f"There is no bastion user `{user_name}`.")
    return user


def hosts(account: str, user_name: str) -> List[dict]:
    """[{device record, "Accounts": [device account records]}] the user may reach now, by device
    Id; ApiError OperationDenied when the user itself may reach nothing now (locked, expired,
    outside its hours)."""
    snap = Snapshot(account)
    user = _user(snap, user_name)
    try:
        grants = access.reachable(snap, user)
    except access.Denied as exc:
        raise ApiError("OperationDenied", exc.message) from None
    by_device = {}
    for g in grants:
        by_device.setdefault(g.device["Id"], {"device": g.device, "accounts": []})["accounts"].append(g.device_account)
    return [by_device[k] for k in sorted(by_device)]


def _refused(account: str, user: dict, source_ip: str, reason: str) -> None:
    try:
        login_events.publish(account, user_name=user["UserName"], real_name=user.get("RealName", ""),
                             source_ip=source_ip, entry=WEB_ENTRY, result=2, reason=reason,
                             time_ms=int(time.time() * 1000))
    except Exception as exc:        # the refusal stands without its event
        log.error("login event of %s not published (%s)", user["UserName"], type(exc).__name__)


def ticket(account: str, user_name: str, device_account_id: int, cols: int, rows: int,
           source_ip: str) -> Tuple[str, web_tickets.Ticket, access.Grant]:
    snap = Snapshot(account)
    user = _user(snap, user_name)
    record = snap.accounts.get(device_account_id)
    device = snap.devices.get(record["DeviceId"]) if record else None
    if device is None or access.is_database(device):
        raise ApiError("ResourceNotFound", f"There is no host account {device_account_id}.")
    try:
        login_policy.admit(account, user_name, source_ip=source_ip or None)
        grant = access.authorize(snap, user, device.get("PrivateIp") or device.get("PublicIp") or device["Name"],
                                 record["Account"], device_id=device["Id"])
    except LoginRefused as exc:
        _refused(account, user, source_ip, exc.reason)
        raise ApiError("OperationDenied", str(exc)) from None
    except access.Denied as exc:
        _refused(account, user, source_ip, exc.reason)
        raise ApiError("UnauthorizedOperation.NoPermission", exc.message) from None
    text, info = web_tickets.issue(account, user_name, device_account_id, cols, rows)
    return text, info, grant


def endpoint() -> Tuple[str, int]:
    """(URL, port) of the gateway's WebSocket as the browser reaches it: GZ_WEB_TERMINAL_URL when
    set (deployed: the load balancer's wss:// address), else "" and the port, which the console
    takes on its own host name."""
    port = int(os.environ.get("GZ_WEB_TERMINAL_PORT") or DEFAULT_PORT)
    return os.environ.get("GZ_WEB_TERMINAL_URL", ""), port
