"""`bastion`: bastion users' login credentials, an account's login security and its departments,
as commands (mounted as `guardzone bastion`).

Point it at the stack first: GZ_AWS_ENDPOINT (moto locally); deployed, the usual AWS
credentials and region. Codes and access strings are printed once and kept only hashed.
"""
import json

import click

from layers.gateway.errors import ApiError


def _print(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


class _Group(click.Group):
    def invoke(self, ctx):
        from layers.bastion.credentials import LoginRefused
        try:
            return super().invoke(ctx)
        except ApiError as err:
            raise click.ClickException(f"{err.code}: {err.message}") from None
        except LoginRefused as err:
            raise click.ClickException(f"{err.reason}: {err.message}") from None


def _account_and_user(fn):
    fn = click.option("--user", "user_name", required=True, help="the bastion user's UserName")(fn)
    return click.option("--account", required=True, help="OwnerUin of the account")(fn)


@click.group(cls=_Group)
def bastion() -> None:
    """Bastion users' activation, SSH keys and access strings; login security; departments."""


@bastion.command("activation-code")
@_account_and_user
def activation_code(account, user_name) -> None:
    """Issue a one-time activation code (24 hours) for the user's first login; prints it.
    A code issued earlier stops working."""
    from layers.bastion import login
    click.echo(login.issue_activation_code(account, user_name))


def _whitelist(ctx, param, value):
    if value is None:
        return None
    return [e.strip() for e in value.split(",") if e.strip()]


@bastion.command("login-policy")
@click.option("--account", required=True, help="OwnerUin of the account")
@click.option("--max-failures", type=int, default=None, help="failed passwords/codes in a row that lock a user (3-5)")
@click.option("--lock-minutes", type=int, default=None, help="how long a lock lasts (10-30)")
@click.option("--idle-minutes", type=int, default=None, help="idle time that closes a session (10-30)")
@click.option("--whitelist", callback=_whitelist, default=None,
              help='source IPs/CIDRs allowed to log in, comma separated ("" clears: any source)')
@click.option("--auto-add-whitelist/--no-auto-add-whitelist", "auto_add", default=None,
              help="add the address of every successful login to the whitelist")
def login_policy(account, max_failures, lock_minutes, idle_minutes, whitelist, auto_add) -> None:
    """Show the account's login policy, changing the fields given first."""
    from layers.bastion import login
    changes = {k: v for k, v in {"max_failures": max_failures, "lock_minutes": lock_minutes,
                                 "idle_minutes": idle_minutes, "whitelist": whitelist,
                                 "whitelist_auto_add": auto_add}.items() if v is not None}
    _print((login.set_policy(account, **changes) if changes else login.policy(account)).as_dict())


@bastion.group("user-key")
def user_key() -> None:
    """A bastion user's authorized SSH public keys."""


def _key_text(key, key_file) -> str:
    if bool(key) == bool(key_file):
        raise click.UsageError("give the key with exactly one of --key and --key-file")
    return key or key_file.read()


@user_key.command("add")
@_account_and_user
@click.option("--key", default=None, help='the public key, e.g. "ssh-ed25519 AAAA... me@laptop"')
@click.option("--key-file", type=click.File("r"), default=None, help="a .pub file holding the key")
def user_key_add(account, user_name, key, key_file) -> None:
    from layers.bastion import login
    _print({"UserName": user_name, "Fingerprint": login.add_public_key(account, user_name, _key_text(key, key_file))})


@user_key.command("remove")
@_account_and_user
@click.option("--key", required=True, help="the public key or its SHA256:... fingerprint")
def user_key_remove(account, user_name, key) -> None:
    from layers.bastion import login
    _print({"UserName": user_name, "Removed": login.remove_public_key(account, user_name, key)})


@user_key.command("list")
@_account_and_user
def user_key_list(account, user_name) -> None:
    from layers.bastion import login
    _print([{"Key": k, "Fingerprint": login.fingerprint(k)} for k in login.public_keys(account, user_name)])


def _expiry(ctx, param, value):
    if value is None:
        return None
    from layers.bastion import times
    try:
        return times.parse(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time, e.g. 2025-12-31T18:00:00+08:00") from None


@bastion.command("access-string")
@_account_and_user
@click.option("--device-account", type=int, required=True, help="Id of the device account (DescribeDeviceAccounts)")
@click.option("--expires", callback=_expiry, default=None,
              help="ISO 8601 expiry (without an offset: China Standard Time); default: none")
def access_string(account, user_name, device_account, expires) -> None:
    """Create the user's access string for the device account (replacing the old one); prints it.
    For a database device (OsName MySQL) it prints the user name and password to give a MySQL
    client at the gateway's MySQL port."""
    from layers.bastion import access_strings, login
    secret = login.create_access_string(account, user_name, device_account, expires)
    if access_strings.is_database(account, device_account):
        click.echo(f"username {access_strings.database_login_name(account, user_name, device_account)}")
        click.echo(f"password {secret}")
    else:
        click.echo(secret)


# ---- departments (the API has no department actions) ----
@bastion.group("department")
def department() -> None:
    """The account's departments: the root "1" and children such as "1.2", "1.2.3" that users,
    groups, devices, ACLs and password-rotation tasks name as their DepartmentId."""


_account = click.option("--account", required=True, help="OwnerUin of the account")


@department.command("list")
@_account
def department_list(account) -> None:
    """Every department (Id, Name, Managers, ManagerUsers), in tree order."""
    from layers.bastion import departments
    _print(departments.list_all(account))


@department.command("create")
@_account
@click.option("--name", required=True, help="1-256 characters, unique among its siblings")
@click.option("--parent", default="1", show_default=True, help="Id of the parent department")
def department_create(account, name, parent) -> None:
    """Create a department under --parent; prints it (its Id is handed out: "1.2", ...)."""
    from layers.bastion import departments
    _print(departments.create(account, name, parent))


@department.command("rename")
@_account
@click.option("--id", "dep_id", required=True, help='the department\'s Id, e.g. "1.2"')
@click.option("--name", required=True)
def department_rename(account, dep_id, name) -> None:
    """Rename a department (the root "1" too)."""
    from layers.bastion import departments
    _print(departments.rename(account, dep_id, name))


@department.command("set-managers")
@_account
@click.option("--id", "dep_id", required=True, help='the department\'s Id, e.g. "1.2"')
@click.option("--manager", "managers", multiple=True, help="a bastion user's UserName; repeatable; none clears")
def department_set_managers(account, dep_id, managers) -> None:
    """Replace the department's managers (bastion users of the account)."""
    from layers.bastion import departments
    _print(departments.set_managers(account, dep_id, managers))


@department.command("delete")
@_account
@click.option("--id", "dep_id", required=True, help='the department\'s Id, e.g. "1.2"')
def department_delete(account, dep_id) -> None:
    """Delete an empty department (no child departments, no records in it)."""
    from layers.bastion import departments
    departments.delete(account, dep_id)
    _print({"Id": dep_id, "Deleted": True})


# ---- sessions: list, replay, transcript, link ----
def _recording_of(account: str, sid: str) -> dict:
    from layers.bastion import sessions
    kept = sessions.recording(account, sid)
    if kept is None:
        raise click.ClickException(f"no finished session {sid} with a recording in account {account}")
    return kept


def _events(account: str, sid: str):
    from layers.bastion import recording
    lines = recording.read(account, _recording_of(account, sid)["key"]).decode("utf-8").splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:] if line.strip()]


@bastion.command("sessions")
@click.option("--account", required=True, help="OwnerUin of the account")
@click.option("--days", default=7, show_default=True, help="how far back")
@click.option("--limit", default=20, show_default=True)
def sessions_command(account: str, days: int, limit: int) -> None:
    """The account's latest sessions, newest first (what SearchSession answers)."""
    from layers.bastion import session_search, sessions, times
    from layers.search.default import default_store
    now = times.millis(times.now())
    total, found = session_search.search(default_store(), account, now - days * 86_400_000, now, (), 0, limit,
                                         sessions.all_pending(account))
    for s in found:
        click.echo(f"{s['Id']}  {s['StartTime']}  {s['UserName']} -> {s['Account']}@{s['DeviceName'] or s['PrivateIp']}"
                   f"  status {s['Status']}  {s['Count']} commands  {s['Size']} bytes")
    click.echo(f"{total} sessions in {days} days")


@bastion.command("replay")
@click.argument("sid")
@click.option("--account", required=True, help="OwnerUin of the account")
@click.option("--speed", default=1.0, show_default=True, help="playback speed")
@click.option("--max-wait", default=2.0, show_default=True, help="longest pause, in seconds")
def replay(sid: str, account: str, speed: float, max_wait: float) -> None:
    """Play a session's recording in this terminal, at its pace."""
    import sys
    import time
    header, events = _events(account, sid)
    click.echo(f"-- session {sid}: {header.get('title', '')}, {header['width']}x{header['height']}", err=True)
    at = 0.0
    for when, kind, data in events:
        if kind != "o":
            continue
        time.sleep(max(0.0, min(max_wait, (when - at) / max(speed, 0.01))))
        at = when
        sys.stdout.write(data)
        sys.stdout.flush()
    click.echo("\n-- end of the recording", err=True)


@bastion.command("transcript")
@click.argument("sid")
@click.option("--account", required=True, help="OwnerUin of the account")
def transcript(sid: str, account: str) -> None:
    """The session as plain text: the screen's lines as they scrolled by, commands included."""
    import pyte
    header, events = _events(account, sid)
    screen = pyte.HistoryScreen(header["width"], header["height"], history=100_000)
    stream = pyte.Stream(screen)
    for _when, kind, data in events:
        if kind == "o":
            stream.feed(data)
        elif kind == "r":
            cols, rows = (int(v) for v in data.split("x"))
            screen.resize(rows, cols)
    rows = ["".join(ch.data for ch in line.values()).rstrip() if isinstance(line, dict) else
            "".join(line[x].data for x in range(screen.columns)).rstrip() for line in screen.history.top]
    rows += [line.rstrip() for line in screen.display]
    while rows and not rows[-1]:
        rows.pop()
    click.echo("\n".join(rows))


@bastion.command("link")
@click.argument("sid")
@click.option("--account", required=True, help="OwnerUin of the account")
@click.option("--expires", default=900, show_default=True, help="seconds the link works")
def link(sid: str, account: str, expires: int) -> None:
    """A time-limited link to the session's recording (asciicast v2: asciinema play URL)."""
    from layers.bastion import recording
    click.echo(recording.presigned_url(account, _recording_of(account, sid)["key"], expires))
