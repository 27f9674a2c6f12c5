"""A bastion user signs in to the web console with password and TOTP (the same checks as an SSH
login: layers/bastion/login.py, so lockout, whitelist and validity apply) and gets a temporary
API key for the account (layers/sts/federation.py), valid SECONDS and narrowed to OPERATOR_POLICY.

The key is the account root's identity (the only API identity an account's bastion users have)
narrowed by its own allow list, and names the bastion user (Credential.bastion_user, the key's
Name `bastion/<user>`), so the console's calls go through the gateway like any other: the same
authorization, audit trail (SecretId of the key) and errors. Every attempt is a login event
(DescribeLoginEvent, Entry 3 web)."""
import logging
import time
from dataclasses import dataclass

from layers.bastion import credentials, login, login_events
from layers.bastion.credentials import LoginRefused
from layers.sts import federation

log = logging.getLogger("guardzone.bastion.console")
SECONDS = 3600
WEB_ENTRY = 3
# What a bastion operator may call with the console key: the hosts they may reach and a terminal
# ticket for one, nothing else — not the account's users, devices, ACLs or other people's
# recordings (dasb Describe* would give all of that), no writes, nothing of CloudAudit, CloudHSM
# or KMS. Pages for operators that need more add their actions here, and say so in docs/console.md.
OPERATOR_POLICY = ("dasb:DescribeAccessibleDevices", "dasb:CreateWebTerminalTicket")


@dataclass(frozen=True)
class SignedIn:
    account: str
    user_name: str
    issued: federation.Issued


def _event(account: str, user_name: str, real_name: str, source_ip: str, ok: bool, reason: str) -> None:
    try:
        login_events.publish(account, user_name=user_name, real_name=real_name, source_ip=source_ip,
                             entry=WEB_ENTRY, result=1 if ok else 2, reason=reason, time_ms=int(time.time() * 1000))
    except Exception as exc:
        log.error("console sign-in event of %s not published (%s)", user_name, type(exc).__name__)


def sign_in(account: str, user_name: str, password: str, code: str, source_ip: str) -> SignedIn:
    """LoginRefused (with its reason and message) or a temporary key for the user."""
    try:
        user = login.check_password(account, user_name, password, source_ip)
        login.check_totp(account, user_name, code, source_ip)
        login.record_success(account, user_name, source_ip)
    except LoginRefused as exc:
        found = credentials.find_user(account, user_name) if exc.reason != "unknown_user" else None
        _event(account, user_name, (found or {}).get("RealName", ""), source_ip, False, exc.reason)
        raise
    issued = federation.issue(account, SECONDS, list(OPERATOR_POLICY), name=f"bastion/{user_name}",
                              bastion_user=user_name)
    _event(account, user_name, user.get("RealName", ""), source_ip, True, "ok")
    return SignedIn(account, user_name, issued)
