"""Logging a database client in to the MySQL proxy, with the bastion's own credentials.

The user name is the login name of the SSH gateway, `bastionuser[@OwnerUin]/account/host`, the
host being a database device's IP (or IP:port), instance id or name. The password is either
  - the user's access string (访问串) for that device account, where an ACL allows access
    strings: taken as mysql_native_password (every client's default; `guardzone bastion
    access-string` keeps the native verifier for database accounts) or in clear text; or
  - the bastion password and the current TOTP code, in clear text: `password,123456` or
    `password123456` (the last six digits are the code). The proxy asks for clear text with an
    auth switch to mysql_clear_password, which the client must allow (mysql/mariadb: it does;
    MySQL's own client: --enable-cleartext-plugin; pymysql: it does).
An OAuth user (AuthType 2) types the one-time credential of its sign-in page. Authorization is
the SSH gateway's (ssh/access.py), among the account's database devices only. Every attempt ends
in one login event (Entry 1), as an SSH login does."""
import asyncio
import re
from typing import Awaitable, Callable, Optional, Tuple

from layers.bastion import access_strings, oauth
from layers.bastion import login as credentials
from layers.bastion.snapshot import Snapshot
from layers.bastion.ssh import access
from layers.bastion.ssh.access import Denied, Grant
from layers.bastion.ssh.login_flow import WRONG, Login, _as_slow_as_a_password

_CODE = re.compile(r"^(?P<password>.*?),?(?P<code>[0-9]{6})$", re.S)


class Refused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


def split_password(answer: str) -> Tuple[str, str]:
    """(bastion password, TOTP code) of `password,123456` or `password123456`."""
    if "," in answer and re.fullmatch(r"[0-9]{6}", answer.rsplit(",", 1)[1]):
        password, code = answer.rsplit(",", 1)
        return password, code
    m = _CODE.match(answer)
    return (answer[:-6], answer[-6:]) if m else (answer, "")


async def _run(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


async def authenticate(login: Login, user_name: str, plugin: str, auth: bytes, salt: bytes,
                       ask_clear: Callable[[], Awaitable[bytes]]) -> Grant:
    """The grant of a database login; Refused (after its login event) when it fails.
    `ask_clear` switches the client to mysql_clear_password and returns what it sent."""
    try:
        grant = await _login(login, user_name, plugin, auth, salt, ask_clear)
    except credentials.LoginRefused as exc:
        wrong = exc.reason in ("bad_password", "bad_totp", "bad_oauth_credential")
        await _fail(login, exc.reason, WRONG if wrong else str(exc))
    except Denied as exc:
        await _fail(login, exc.reason, exc.message)
    except Refused as exc:
        await _fail(login, exc.reason, exc.message)
    await _run(login.event, 1, "ok")
    login.done, login.grant = True, grant
    return grant


async def _fail(login: Login, reason: str, message: str):
    login.refused, login.step = (reason, message), "denied"
    await _run(login.event, 2, reason)
    raise Refused(reason, message)


def _grant(login: Login) -> Grant:
    grant = access.authorize(Snapshot(login.owner), login.user, login.name.host, login.name.account, database=True)
    return grant


async def _login(login: Login, user_name: str, plugin: str, auth: bytes, salt: bytes,
                 ask_clear: Callable[[], Awaitable[bytes]]) -> Grant:
    await _run(login.resolve, user_name)
    grant: Optional[Grant] = None
    denied: Optional[Denied] = None
    if not login.refused:
        try:
            grant = await _run(_grant, login)
        except Denied as exc:
            denied = exc
    user = login.user["UserName"] if login.user else ""
    # an access string proved by mysql_native_password: nothing in clear text
    if grant is not None and grant.access_credential and plugin in ("", "mysql_native_password") and len(auth) == 20:
        try:
            await _run(lambda: access_strings.check_access_string_native(
                login.owner, user, grant.device_account["Id"], salt, auth, source_ip=login.peer))
            await _run(credentials.record_success, login.owner, user, login.peer)
            return grant
        except credentials.LoginRefused:
            pass
    clear = auth if plugin == "mysql_clear_password" else await ask_clear()
    answer = clear.rstrip(b"\x00").decode("utf-8", "replace")
    if login.refused:
        await _run(_as_slow_as_a_password, answer)
        raise Refused(*login.refused)
    await _run(credentials.check_source, login.owner, login.peer)
    if grant is not None and grant.access_credential:
        try:
            await _run(lambda: credentials.check_access_string(
                login.owner, user, grant.device_account["Id"], answer, source_ip=login.peer))
            await _run(credentials.record_success, login.owner, user, login.peer)
            return grant
        except credentials.LoginRefused:
            pass
    if oauth.is_oauth_user(login.user):
        login.user = await _run(oauth.check_ticket, login.owner, user, answer, login.peer)
    else:
        if not login.user.get("ActiveStatus"):
            raise Refused("inactive", "activate your bastion user first (log in to the SSH gateway once)")
        password, code = split_password(answer)
        login.user = await _run(credentials.check_password, login.owner, user, password, login.peer)
        await _run(credentials.check_totp, login.owner, user, code, login.peer)
    if denied is not None:
        raise denied
    grant = await _run(_grant, login)
    await _run(credentials.record_success, login.owner, user, login.peer)
    return grant
