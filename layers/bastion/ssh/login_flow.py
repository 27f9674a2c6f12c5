"""One operator's login to the gateway, step by step, over SSH keyboard-interactive.

    Password:                        the bastion user's password (or, once, the activation code);
                                     not asked when the client proved one of the user's SSH keys
    Verification code:               the TOTP code of their authenticator (RFC 6238)
    [Password of root@host:]         only when the device account hosts no credential (seed step 8)

An account not yet activated (or reset by ResetUser) logs in with the one-time activation code
from `guardzone bastion activation-code` as its password; it is then shown the otpauth URI and a
QR code, and asked for a new password (twice) and a first code. An access string (访问串) is
typed at the plain password prompt and needs no code, where an ACL allows it. A user whose
AuthType is 2 (OAuth) types the one-time credential of its OAuth sign-in page (oauth.py) at
`Password:`, and no code is asked.

Every attempt ends in one login event (success, or the first cause of failure) and a failure
shows the operator one line; unknown users and wrong passwords read the same.
"""
import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from layers.bastion import login as credentials
from layers.bastion import login_events, oauth
from layers.bastion.credentials import verify_password
from layers.bastion.snapshot import Snapshot
from layers.bastion.ssh import access, directory, target
from layers.bastion.ssh.access import Denied, Grant

log = logging.getLogger("guardzone.bastion.gateway")
Challenge = Tuple[str, str, str, Sequence[Tuple[str, bool]]]
SSH_ENTRY = 1          # LoginEvent.Entry: 1 = character terminal
WRONG = "wrong user name, password or code"


def _as_slow_as_a_password(password: str) -> None:
    """What a refused password check costs (one scrypt, the refusal floor), for a name that does
    not resolve: an unknown user and a wrong password take the same time."""
    started = time.monotonic()
    verify_password(password, None)
    time.sleep(max(0.0, started + credentials.REFUSAL_FLOOR - time.monotonic()))


def _challenge(prompt: str, echo: bool = False, instructions: str = "", name: str = "") -> Challenge:
    return (name, instructions, "", [(prompt, echo)])


def _notice(message: str) -> Challenge:
    """A round that only tells the operator something (the client shows it, then answers empty)."""
    return ("Guardzone", message + "\n", "", [])


@dataclass
class Login:
    """The state of one connection's login."""
    peer: str
    name: Optional[directory.LoginName] = None
    owner: Optional[str] = None
    user: Optional[dict] = None
    step: str = "password"
    activation_code: str = ""
    grant: Optional[Grant] = None
    credential: target.Hosted = field(default_factory=target.Hosted)
    target_conn: object = None
    refused: Optional[Tuple[str, str]] = None       # (reason, message) once it has failed
    key_verified: bool = False                      # the first factor was one of the user's SSH keys
    done: bool = False
    started: float = field(default_factory=time.time)
    entry: int = SSH_ENTRY                          # LoginEvent.Entry: 1 SSH, 3 the console's H5 terminal

    # ---- helpers run in an executor (they call DynamoDB, KMS and SQS) ----
    def resolve(self, username: str) -> None:
        """Parse the login name and find the account; a failure is kept, not raised, so that the
        operator is still asked for a password and learns nothing about which names exist."""
        try:
            self.name = directory.parse(username)
        except directory.BadLoginName as exc:
            self.refused = ("bad_username", str(exc))
            return
        owners = directory.owners_of(self.name.user)
        if self.name.owner:
            owners = [o for o in owners if o == self.name.owner]
        found = []
        for owner in owners:
            user = access.find_user(Snapshot(owner), self.name.user)
            if user is not None:
                found.append((owner, user))
        if len(found) > 1:
            self.refused = ("ambiguous_user", "this user name is in several accounts; log in as "
                                              f"{self.name.user}@<account uin>/{self.name.account}/{self.name.host}")
        elif found:
            self.owner, self.user = found[0]
        else:
            self.refused = ("unknown_user", WRONG)

    def event(self, result: int, reason: str) -> None:
        if self.owner is None:
            return              # no account to file it under: the gateway's log has it
        try:
            login_events.publish(self.owner, user_name=self.user["UserName"], real_name=self.user.get("RealName", ""),
                                 source_ip=self.peer, entry=self.entry, result=result, reason=reason,
                                 time_ms=int(time.time() * 1000))
        except Exception as exc:        # a login is never refused because its event could not be sent
            log.error("login event of %s not published (%s)", self.user["UserName"], type(exc).__name__)


class LoginFlow:
    """The keyboard-interactive conversation; `run` calls blocking code in the default executor."""

    def __init__(self, login: Login) -> None:
        self.login = login

    async def run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def first(self, username: str) -> Challenge:
        if self.login.name is None:
            await self.run(self.login.resolve, username)
        if self.login.key_verified and not self.login.refused and not oauth.is_oauth_user(self.login.user):
            self.login.step = "totp"
            return _challenge("Verification code: ", echo=True)
        return _challenge("Password: ")

    async def answer(self, responses: Sequence[str]):
        """The next round, True when logged in, or False when refused."""
        s = self.login
        if s.refused and s.step != "denied":
            if s.step == "password":
                await self.run(_as_slow_as_a_password, responses[0] if responses else "")
            return await self.fail(*s.refused)
        answer = responses[0] if responses else ""
        try:
            if s.step == "password":
                return await self.password(answer)
            if s.step == "totp":
                await self.run(credentials.check_totp, s.owner, s.user["UserName"], answer, s.peer)
                return await self.authorized()
            if s.step == "activate":
                return await self.activate(responses)
            if s.step == "target_password":
                s.credential = target.Hosted(password=answer)
                return await self.open_target()
            if s.step == "denied":
                return False
        except credentials.LoginRefused as exc:
            wrong = exc.reason in ("bad_password", "bad_totp", "bad_oauth_credential")
            return await self.fail(exc.reason, WRONG if wrong else str(exc))
        except Denied as exc:
            return await self.fail(exc.reason, exc.message)
        return False

    async def password(self, answer: str):
        s = self.login
        await self.run(credentials.check_source, s.owner, s.peer)
        if oauth.is_oauth_user(s.user):
            try:
                s.user = await self.run(oauth.check_ticket, s.owner, s.user["UserName"], answer, s.peer)
            except credentials.LoginRefused as exc:
                if exc.reason != "bad_oauth_credential" or not await self.access_string(answer):
                    raise
                return await self.open_target()
            return await self.authorized()
        if not s.user.get("ActiveStatus"):
            enrollment = await self.run(credentials.begin_activation, s.owner, s.user["UserName"], answer)
            s.activation_code, s.step = answer, "activate"
            return ("Activate your bastion account",
                    "Add this account to your authenticator app (scan the code or open the link):\n"
                    f"{enrollment.qr_text}\n{enrollment.otpauth_uri}\n", "",
                    [("New password: ", False), ("Repeat the new password: ", False),
                     ("Verification code from the app: ", True)])
        try:
            s.user = await self.run(credentials.check_password, s.owner, s.user["UserName"], answer, s.peer)
        except credentials.LoginRefused as exc:
            if exc.reason != "bad_password" or not await self.access_string(answer):
                raise
            return await self.open_target()
        s.step = "totp"
        return _challenge("Verification code: ", echo=True)

    async def access_string(self, answer: str) -> bool:
        """True when `answer` is an access string of the login's device account that an ACL lets
        this user log in with (then no code is asked)."""
        s = self.login
        try:
            grant = await self.run(self._grant)
        except Denied:
            return False
        if not grant.access_credential:
            return False
        try:
            await self.run(lambda: credentials.check_access_string(
                s.owner, s.user["UserName"], grant.device_account["Id"], answer, source_ip=s.peer))
        except credentials.LoginRefused:
            return False
        s.grant = grant
        await self.run(credentials.record_success, s.owner, s.user["UserName"], s.peer)
        return True

    async def one_time_credential(self, answer: str) -> bool:
        """The plain password method for an OAuth user: True when `answer` is the one-time
        credential of its sign-in (then used up) and an ACL lets it reach the target."""
        s = self.login
        if not oauth.is_oauth_user(s.user):
            return False
        try:
            s.user = await self.run(oauth.check_ticket, s.owner, s.user["UserName"], answer, s.peer)
            s.grant = await self.run(self._grant)
        except credentials.LoginRefused:
            return False
        except Denied as exc:
            await self.fail(exc.reason, exc.message)
            return False
        await self.run(credentials.record_success, s.owner, s.user["UserName"], s.peer)
        return True

    async def activate(self, responses: Sequence[str]):
        s = self.login
        if len(responses) != 3:
            return await self.fail("bad_activation", "activation needs a new password, again, and a code")
        new, again, code = responses
        if new != again:
            return await self.fail("weak_password", "the two passwords differ; log in with the code again")
        await self.run(credentials.finish_activation, s.owner, s.user["UserName"], s.activation_code, new, code)
        s.user = {**s.user, "ActiveStatus": 1}
        return await self.authorized()

    def _grant(self) -> Grant:
        s = self.login
        return access.authorize(Snapshot(s.owner), s.user, s.name.host, s.name.account)

    async def authorized(self):
        s = self.login
        s.grant = await self.run(self._grant)
        await self.run(credentials.record_success, s.owner, s.user["UserName"], s.peer)
        return await self.open_target()

    async def open_target(self):
        s = self.login
        if not s.credential.any:
            s.credential = await self.run(target.hosted, s.grant)
            if not s.credential.any:
                s.step = "target_password"
                return _challenge(f"Password of {s.name.account}@{s.name.host}: ")
        s.target_conn = await target.connect(s.grant, s.credential)
        s.credential = target.Hosted()      # not kept past the connection
        s.done, s.step = True, "done"
        await self.run(s.event, 1, "ok")
        return True

    async def fail(self, reason: str, message: str):
        s = self.login
        first = s.step != "denied"
        s.refused, s.step = (reason, message), "denied"
        if first:
            await self.run(s.event, 2, reason)
            log.info("login of %s from %s refused: %s", s.name.user if s.name else "?", s.peer, reason)
            return _notice(f"Access denied: {message}")
        return False


def summary(login: Login) -> List[str]:
    """What the gateway's log keeps of a login (never a secret)."""
    return [login.peer, login.owner or "", login.user["UserName"] if login.user else "", login.step]
