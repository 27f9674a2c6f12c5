"""The bastion's SSH gateway end to end: an asyncssh client logs in as bastionuser/account/host
with a password and a TOTP code, and reaches a real bash behind a demo target through the
gateway; exit statuses, signals and window changes pass; denials say why; the target's host key
is pinned."""
import asyncio
import json
import uuid

import asyncssh
import pytest

from bastion_helpers import Bastion, new_account
from ssh_support import Demo, Shell, connect, logged_in, run
from ssh_support import shell as open_shell


pytestmark = pytest.mark.usefixtures("clock")     # conftest.py: every test's codes from its clock


@pytest.fixture(scope="module")
def target():
    from infra.demo_host import DemoHost
    host = DemoHost("root", "target-" + uuid.uuid4().hex[:12]).start()
    yield host
    host.stop()


def make_demo(stack, target, clock) -> Demo:
    from infra import demo_bastion
    account = new_account()
    kept = demo_bastion.ensure(stack.endpoint, account, target.port, target.password, None,
                               user=f"op{uuid.uuid4().hex[:8]}")
    return Demo(account, kept, target, target.password, clock)


@pytest.fixture
def demo(stack, target, clock):
    return make_demo(stack, target, clock)


def test_password_and_code_open_a_session_to_a_real_bash_and_exit_statuses_pass(gateway, demo):
    async def scenario():
        c = await connect(gateway.port, demo.login, {"Password": demo.kept["password"],
                                                     "Verification code": demo.code()})
        assert c.error is None, c.client.notices
        assert c.client.prompts == ["Password: ", "Verification code: "]
        async with c.conn:
            done = await c.conn.run("echo hello from $(basename $SHELL); exit 3", check=False)
            assert (done.stdout, done.exit_status) == ("hello from bash\n", 3)
            done = await c.conn.run("echo to-stderr >&2; kill -TERM $$", check=False)
            assert done.stderr == "to-stderr\n" and (done.exit_signal or done.exit_status in (143, -15))
    run(scenario())


def test_a_terminal_session_passes_keys_window_changes_and_the_shell_s_exit(gateway, demo):
    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            shell = await open_shell(conn, 100, 30)
            process = shell.process
            await shell.type(b"stty size\r")
            await shell.until(b"30 100")
            process.change_terminal_size(120, 40)
            await asyncio.sleep(0.2)
            await shell.type(b"stty size\r")
            await shell.until(b"40 120")
            await shell.type(b"exit 7\r")
            await process.wait_closed()
            assert process.exit_status == 7
    run(scenario())


def test_a_wrong_code_or_password_is_refused_with_one_message_for_both(gateway, demo):
    async def scenario():
        wrong_code = await connect(gateway.port, demo.login, {"Password": demo.kept["password"],
                                                              "Verification code": "000000"})
        wrong_password = await connect(gateway.port, demo.login, {"Password": "not-it-1234"})
        unknown = await connect(gateway.port, f"nobody-{uuid.uuid4().hex[:6]}/root/127.0.0.1",
                                {"Password": "whatever-123"})
        for attempt in (wrong_code, wrong_password, unknown):
            assert isinstance(attempt.error, asyncssh.PermissionDenied)
            assert attempt.client.notices == ["Access denied: wrong user name, password or code"]
    run(scenario())


def test_each_denial_tells_the_operator_why(stack, gateway, target, clock):
    demo = make_demo(stack, target, clock)
    bh = Bastion(stack.endpoint, demo.account)

    async def attempt(login):
        c = await connect(gateway.port, login, {"Password": demo.kept["password"],
                                                "Verification code": demo.code()})
        assert c.conn is None
        return c.client.notices[-1]

    async def scenario():
        assert "no host `10.9.9.9`" in await attempt(f"{demo.kept['user']}/root/10.9.9.9")
        assert "has no account `admin`" in await attempt(f"{demo.kept['user']}/admin/127.0.0.1")
        assert "bastionuser/account/host" in await attempt("just-a-name")
    run(scenario())
    # two devices with one name: the candidates are listed
    bh.call("ImportExternalDevice", DeviceSet=[{"OsName": "Linux", "Ip": "10.1.1.1", "Port": 22, "Name": "twin"},
                                               {"OsName": "Linux", "Ip": "10.1.1.2", "Port": 22, "Name": "twin"}])
    message = run(attempt(f"{demo.kept['user']}/root/twin"))
    assert "10.1.1.1" in message and "10.1.1.2" in message
    # outside the user's hours, then no ACL at all
    uid = bh.call("DescribeUsers", UserName=demo.kept["user"])["UserSet"][0]["Id"]
    bh.call("ModifyUser", Id=uid, RealName="Demo", Phone="13800000000", Email="op@example.com", ValidateTime="0" * 168)
    assert "at this hour" in run(attempt(demo.login))
    bh.call("ModifyUser", Id=uid, RealName="Demo", Phone="13800000000", Email="op@example.com", ValidateTime="1" * 168)
    acl_ids = [a["Id"] for a in bh.call("DescribeAcls")["AclSet"]]
    bh.call("DeleteAcls", IdSet=acl_ids)
    assert "no access permission" in run(attempt(demo.login))


def test_the_target_password_is_asked_when_none_is_hosted(stack, gateway, target, clock):
    demo = make_demo(stack, target, clock)
    bh = Bastion(stack.endpoint, demo.account)
    accounts = bh.call("DescribeDeviceAccounts", DeviceId=demo.kept["device_id"])["DeviceAccountSet"]
    bh.call("ResetDeviceAccountPassword", IdSet=[a["Id"] for a in accounts])

    async def scenario():
        c = await connect(gateway.port, demo.login, {"Password": demo.kept["password"],
                                                     "Verification code": demo.code(),
                                                     "Password of root@127.0.0.1": demo.target_password})
        assert c.error is None, c.client.notices
        assert c.client.prompts[-1] == "Password of root@127.0.0.1: "
        async with c.conn:
            assert (await c.conn.run("echo asked")).stdout == "asked\n"
    run(scenario())


def test_a_changed_target_host_key_refuses_the_session(stack, gateway, clock):
    from infra.demo_host import DemoHost
    first = DemoHost("root", "pw-" + uuid.uuid4().hex[:10]).start()
    demo = make_demo(stack, first, clock)

    async def login():
        return await connect(gateway.port, demo.login, {"Password": demo.kept["password"],
                                                        "Verification code": demo.code()})

    async def works():
        ok = await login()
        assert ok.error is None, ok.client.notices
        async with ok.conn:
            assert (await ok.conn.run("echo pinned")).stdout == "pinned\n"
    try:
        run(works())
        port = first.port
    finally:
        first.stop()
    impostor = DemoHost("root", demo.target_password, port=port).start()     # same address, new key
    try:
        refused = run(login())
        assert refused.conn is None and "host key" in refused.client.notices[-1]
    finally:
        impostor.stop()


def test_a_session_is_recorded_and_its_commands_and_login_are_searchable_by_its_account_only(
        stack, gateway, demo, clock):
    from datetime import datetime, timedelta, timezone

    from layers.bastion import recording, sessions
    from session_feed import settle

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            shell = await open_shell(conn, 80, 24)
            process = shell.process
            await shell.type(b"echo recorded-$((6*7))\r")
            await shell.until(b"recorded-42\r\n")
            await shell.type(b"ls /nonexistent-dir-x\x1b[D\x1b[C; true\r")      # edited with the arrows
            await shell.until(b"No such file")
            await shell.type(b"exit\r")
            await process.wait_closed()
            rest = await process.stdout.read()
            return bytes(shell.seen) + rest
    seen = run(scenario())
    settle(stack, demo.account["OwnerUin"])
    bh = Bastion(stack.endpoint, demo.account)
    window = {"StartTime": (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(),
              "EndTime": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()}
    found = bh.call("SearchSession", Kind=1, **window, UserName=demo.kept["user"])
    assert found["TotalCount"] == 1
    session = found["SessionSet"][0]
    assert (session["Status"], session["Account"], session["Protocol"]) == (2, "root", "SSH")
    commands = bh.call("SearchCommandBySid", Sid=session["Id"])["CommandSet"]
    assert session["Count"] == 3 and session["Size"] > 0, [c["Cmd"] for c in commands]
    commands = bh.call("SearchCommandBySid", Sid=session["Id"])["CommandSet"]
    assert sorted(c["Cmd"] for c in commands) == ["echo recorded-$((6*7))", "exit",
                                                 "ls /nonexistent-dir-x; true"]
    assert all(c["TimeOffset"] >= 0 and c["Action"] == 1 for c in commands)
    # the recording plays back exactly what the operator saw
    kept = sessions.recording(demo.account["OwnerUin"], session["Id"])
    cast = recording.read(demo.account["OwnerUin"], kept["key"]).decode()
    lines = [json.loads(line) for line in cast.splitlines()]
    assert lines[0]["version"] == 2 and (lines[0]["width"], lines[0]["height"]) == (80, 24)
    played = "".join(e[2] for e in lines[1:] if e[1] == "o")
    assert played.encode() == seen
    assert not [e for e in lines[1:] if e[1] == "i"]            # no keyboard logging without the ACL's switch
    logins = bh.call("DescribeLoginEvent", UserName=demo.kept["user"], **window)["LoginEventSet"]
    assert [(e["Result"], e["Entry"]) for e in logins] == [(1, 1)]
    # the admin's commands: list, transcript, replay, a time-limited link
    from click.testing import CliRunner
    from infra.bastion_cli import bastion as cli
    owner = demo.account["OwnerUin"]
    listed = CliRunner().invoke(cli, ["sessions", "--account", owner], catch_exceptions=False).output
    assert session["Id"] in listed and "1 sessions" in listed
    text = CliRunner().invoke(cli, ["transcript", session["Id"], "--account", owner], catch_exceptions=False).output
    assert "$ echo recorded-$((6*7))\nrecorded-42\n" in text and "No such file or directory" in text
    played = CliRunner().invoke(cli, ["replay", session["Id"], "--account", owner, "--speed", "1000"],
                                catch_exceptions=False).output
    assert "recorded-42" in played
    url = CliRunner().invoke(cli, ["link", session["Id"], "--account", owner], catch_exceptions=False).output.strip()
    import urllib.request
    assert urllib.request.urlopen(url).read().decode() == cast
    refused = CliRunner().invoke(cli, ["transcript", session["Id"], "--account", new_account()["OwnerUin"]])
    assert refused.exit_code != 0
    # another account sees none of it
    other = Bastion(stack.endpoint, new_account())
    assert other.call("SearchSession", Kind=1, **window)["TotalCount"] == 0
    assert other.call("SearchCommandBySid", Sid=session["Id"])["TotalCount"] == 0
    with pytest.raises(ValueError):
        recording.read(other.acct["OwnerUin"], kept["key"])


def cli(*args) -> str:
    from click.testing import CliRunner
    from infra.bastion_cli import bastion
    result = CliRunner().invoke(bastion, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_reset_user_activates_over_ssh_with_the_one_time_code_then_logs_in(stack, gateway, demo, clock):
    import re
    owner, user = demo.account["OwnerUin"], demo.kept["user"]
    bh = Bastion(stack.endpoint, demo.account)
    uid = bh.call("DescribeUsers", UserName=user)["UserSet"][0]["Id"]
    bh.call("ResetUser", IdSet=[uid])
    code = re.search(r"[A-Z0-9]{4}(?:-[A-Z0-9]{4}){3}", cli("activation-code", "--account", owner, "--user", user))[0]

    def first_code(shown: str) -> str:
        return clock.next_code(re.search(r"secret=([A-Z2-7]+)", shown)[1])

    async def scenario():
        stale = await connect(gateway.port, demo.login, {"Password": demo.kept["password"]})
        assert stale.conn is None and "activation code" in stale.client.notices[-1]
        c = await connect(gateway.port, demo.login, {"Password": code, "New password": "NewPass-2026x",
                                                     "Repeat the new password": "NewPass-2026x",
                                                     "Verification code from the app": first_code})
        assert c.error is None, c.client.notices
        assert "otpauth://totp/" in c.client.notices[0] and "█" in c.client.notices[0]     # the link and a QR code
        async with c.conn:
            assert (await c.conn.run("echo activated")).stdout == "activated\n"
        secret = re.search(r"secret=([A-Z2-7]+)", c.client.notices[0])[1]
        again = await connect(gateway.port, demo.login, {"Password": "NewPass-2026x",
                                                         "Verification code": clock.next_code(secret)})
        assert again.error is None, again.client.notices
        again.conn.close()
        reused = await connect(gateway.port, demo.login, {"Password": code})
        assert reused.conn is None
    run(scenario())
    assert bh.call("DescribeUsers", UserName=user)["UserSet"][0]["ActiveStatus"] == 1


def test_an_access_string_logs_in_without_a_code_only_where_the_acl_allows_it(stack, gateway, demo):
    owner, user = demo.account["OwnerUin"], demo.kept["user"]
    bh = Bastion(stack.endpoint, demo.account)
    (aid,) = [a["Id"] for a in bh.call("DescribeDeviceAccounts", DeviceId=demo.kept["device_id"])["DeviceAccountSet"]]
    secret = cli("access-string", "--account", owner, "--user", user, "--device-account", str(aid)).split()[-1]
    assert len(secret) == 16 and secret.isalnum()

    async def with_string():
        return await connect(gateway.port, demo.login, {"password-method": secret}, kbdint=False)

    async def scenario():
        c = await with_string()
        assert c.error is None
        async with c.conn:
            assert (await c.conn.run("echo by-access-string")).stdout == "by-access-string\n"
        wrong = await connect(gateway.port, demo.login, {"password-method": "x" * 16}, kbdint=False)
        assert wrong.conn is None
    run(scenario())
    acl = bh.call("DescribeAcls")["AclSet"][0]
    bh.call("ModifyAcl", Id=acl["Id"], Name=acl["Name"], AllowDiskRedirect=False, AllowAnyAccount=True,
            AllowAccessCredential=False)
    assert run(with_string()).conn is None


def test_failures_lock_the_user_and_a_source_outside_the_whitelist_is_refused(stack, gateway, demo):
    owner, user = demo.account["OwnerUin"], demo.kept["user"]
    cli("login-policy", "--account", owner, "--max-failures", "3")

    async def attempt(password, code=None):
        answers = {"Password": password}
        if code:
            answers["Verification code"] = code
        return await connect(gateway.port, demo.login, answers)

    async def scenario():
        for _ in range(3):
            assert (await attempt("wrong-pass-1")).conn is None
        locked = await attempt(demo.kept["password"], demo.code())
        return locked
    locked = run(scenario())
    assert locked.conn is None and "locked" in locked.client.notices[-1]
    bh = Bastion(stack.endpoint, demo.account)
    found = bh.call("DescribeUsers", UserName=user)["UserSet"][0]
    assert found["LockStatus"] == 1
    bh.call("ResetUser", IdSet=[found["Id"]])               # unlocks (and asks for activation again)
    other = make_demo(stack, demo.target, demo.clock)
    cli("login-policy", "--account", other.account["OwnerUin"], "--whitelist", "10.99.0.0/16")
    refused = run(connect(gateway.port, other.login, {"Password": other.kept["password"],
                                                      "Verification code": other.code()}))
    assert refused.conn is None and "not allowed" in refused.client.notices[-1]
    cli("login-policy", "--account", other.account["OwnerUin"], "--whitelist", "127.0.0.0/8")
    allowed = run(connect(gateway.port, other.login, {"Password": other.kept["password"],
                                                      "Verification code": other.code()}))
    assert allowed.error is None
    allowed.conn.close()


def test_a_gateway_killed_mid_session_leaves_a_recording_the_next_one_finishes(stack, target, clock, tmp_path):
    """SIGKILL loses at most the last seconds: what the operator saw up to then is in the
    recording the restarted gateway uploads, and the session ends with Status 4."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import pyotp

    from infra.services import free_port
    from layers.bastion import recording, sessions
    from session_feed import deliver
    demo = make_demo(stack, target, clock)
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "GZ_RECORDING_SPOOL_DIR": str(tmp_path / "spool")}

    def gateway_process(port):
        proc = subprocess.Popen([sys.executable, "-m", "infra.ssh_gateway", "--host", "127.0.0.1", "--port",
                                 str(port)], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        said = ""
        while "listening on" not in said:
            line = proc.stdout.readline()
            assert line, said + (proc.stdout.read() if proc.poll() is not None else "")
            said += line
        return proc

    port = free_port()
    first = gateway_process(port)

    async def session_then_kill():
        c = await connect(port, demo.login, {"Password": demo.kept["password"],
                                             "Verification code": pyotp.TOTP(demo.kept["totp_secret"]).now()})
        assert c.error is None, c.client.notices
        process = await c.conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        shell = Shell(process)
        await shell.until(b"$ ")
        await shell.type(b"echo before-kill-$((1+1))\r")
        await shell.until(b"before-kill-2\r\n")
        await asyncio.sleep(6)                     # past the spool's fsync interval
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        c.conn.abort()
    try:
        run(session_then_kill())
    finally:
        if first.poll() is None:
            first.kill()
    owner = demo.account["OwnerUin"]
    live = [s for s in sessions.all_pending(owner)]
    assert [s["Status"] for s in live] == [1]              # the killed gateway could not end it
    assert live[0]["Count"] == 1                           # what it had counted was kept as it ran
    second = gateway_process(port)                         # finishes the spool on start
    try:
        deliver(stack)
        kept = sessions.recording(owner, live[0]["Sid"])
        assert kept is not None and kept["size"] > 0
        played = "".join(json.loads(line)[2] for line in recording.read(owner, kept["key"]).decode().splitlines()[1:]
                         if json.loads(line)[1] == "o")
        assert "before-kill-2" in played
        bh = Bastion(stack.endpoint, demo.account)
        found = bh.call("SearchSession", Id=live[0]["Sid"])["SessionSet"]
        assert [(s["Status"], s["Count"]) for s in found] == [(4, 1)]
        assert not list((tmp_path / "spool").glob("*.cast"))
    finally:
        second.terminate()
        second.wait(10)
        time.sleep(0)


def test_an_ssh_key_of_the_user_replaces_the_password_but_not_the_code(stack, gateway, demo):
    owner, user = demo.account["OwnerUin"], demo.kept["user"]
    key = asyncssh.generate_private_key("ssh-ed25519")
    cli("user-key", "add", "--account", owner, "--user", user, "--key",
        key.export_public_key().decode().strip())
    stranger = asyncssh.generate_private_key("ssh-ed25519")

    async def with_key(private, answers):
        from ssh_support import Answers
        client = Answers(answers)
        try:
            conn, _ = await asyncssh.create_connection(
                lambda: client, "127.0.0.1", gateway.port, username=demo.login, known_hosts=None,
                agent_path=None, client_keys=[private], preferred_auth=("publickey", "keyboard-interactive"),
                login_timeout=20)
        except asyncssh.PermissionDenied:
            return None, client
        return conn, client

    async def scenario():
        conn, client = await with_key(key, {"Verification code": demo.code()})
        assert conn is not None and client.prompts == ["Verification code: "], client.notices
        async with conn:
            assert (await conn.run("echo by-key")).stdout == "by-key\n"
        conn, client = await with_key(key, {"Verification code": "000000"})
        assert conn is None
        conn, client = await with_key(stranger, {"Password": demo.kept["password"],
                                                 "Verification code": demo.code()})
        assert conn is not None and client.prompts == ["Password: ", "Verification code: "]
        conn.close()
    run(scenario())


def test_commands_after_a_flood_of_output_are_still_read_right(stack, gateway, demo):
    from session_feed import settle

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            shell = await open_shell(conn, 80, 24)
            process = shell.process
            await shell.type(b"head -c 3000000 /dev/zero | tr '\\0' x; echo; echo flood-$((3+3))\r")
            await shell.until(b"flood-6\r\n", timeout=60)
            await shell.type(b"vi -c ':q!'; echo vi-$((1+1))-closed\r")
            await shell.until(b"vi-2-closed\r\n")        # keys typed while vi runs are vi's
            closed = shell.seen.index(b"vi-2-closed\r\n")
            await shell.after(closed, b"$ ")          # typed at the prompt, not ahead of it
            await shell.type(b"echo after-$((2+2))\r")
            await shell.until(b"after-4\r\n")
            await shell.type(b"exit\r")
            await process.wait_closed()
    run(scenario())
    settle(stack, demo.account["OwnerUin"])
    bh = Bastion(stack.endpoint, demo.account)
    from datetime import datetime, timedelta, timezone
    now = datetime.now(timezone.utc)
    (session,) = bh.call("SearchSession", Kind=1, StartTime=(now - timedelta(hours=1)).isoformat(),
                         EndTime=(now + timedelta(hours=1)).isoformat())["SessionSet"]
    commands = sorted(c["Cmd"] for c in bh.call("SearchCommandBySid", Sid=session["Id"])["CommandSet"])
    assert commands == sorted(["head -c 3000000 /dev/zero | tr '\\0' x; echo; echo flood-$((3+3))",
                               "vi -c ':q!'; echo vi-$((1+1))-closed", "echo after-$((2+2))", "exit"])
    assert session["Size"] > 3_000_000


def test_a_client_stalling_mid_handshake_is_cut_off_and_others_are_not_held_up(stack, target, clock, monkeypatch):
    """A connection that sends its version and then nothing, and one that stops at the password
    prompt, are closed after the login timeout; a login and a session meanwhile go on as usual."""
    import socket

    from infra.ssh_gateway import SshGateway
    monkeypatch.setenv("GZ_SSH_LOGIN_TIMEOUT", "3")
    demo = make_demo(stack, target, clock)
    gw = SshGateway("127.0.0.1", 0).start()
    try:
        raw = socket.create_connection(("127.0.0.1", gw.port), timeout=20)
        assert raw.recv(256).startswith(b"SSH-2.0-")
        raw.sendall(b"SSH-2.0-stalling\r\n")              # then nothing: no key exchange

        class Silent(asyncssh.SSHClient):
            def kbdint_auth_requested(self):
                return ""

            async def kbdint_challenge_received(self, name, instructions, lang, prompts):
                await asyncio.sleep(30)                      # never answers the password prompt

        async def scenario():
            stalled = asyncio.ensure_future(asyncssh.create_connection(
                Silent, "127.0.0.1", gw.port, username=demo.login, known_hosts=None, agent_path=None,
                client_keys=None, preferred_auth=("keyboard-interactive",)))
            async with await logged_in(gw.port, demo) as conn:
                done = await conn.run("echo meanwhile-$((2+3))", check=False)
                assert done.stdout == "meanwhile-5\n"
            with pytest.raises((asyncssh.Error, OSError)):
                await asyncio.wait_for(stalled, 20)
        run(scenario())
        while raw.recv(65536):                               # its key exchange offer, then the close
            pass
    finally:
        gw.stop()


def test_a_flood_of_keys_in_one_session_leaves_another_session_working(stack, gateway, demo):
    """A megabyte of keystrokes into one terminal session: they reach the target, the session
    goes on after, and a second session's commands run and are audited meanwhile."""
    from session_feed import settle

    async def scenario():
        async with await logged_in(gateway.port, demo) as flooder_conn, \
                await logged_in(gateway.port, demo) as other_conn:
            flooder = await open_shell(flooder_conn, 80, 24)
            other = await open_shell(other_conn, 80, 24)
            await flooder.type(b"wc -c > /tmp/gz-flood-$$.txt; cat /tmp/gz-flood-$$.txt\r")
            line = b"k" * 63 + b"\r"
            block = line * 1024                              # 64 KiB a write
            flood_done = asyncio.Event()

            async def flood():
                for _ in range(16):                          # 1 MiB
                    flooder.process.stdin.write(block)
                    await flooder.process.stdin.drain()
                flooder.process.stdin.write(b"\x04")           # end of wc's input
                flood_done.set()

            async def meanwhile():
                for i in range(10):
                    await other.type(f"echo other-{i}-$((40+2))\r".encode())
                    await other.until(f"other-{i}-42\r\n".encode(), timeout=30)
            await asyncio.gather(flood(), meanwhile())
            await flood_done.wait()
            await flooder.until(b"1048576", timeout=120)         # wc counted every byte (CR -> LF)
            await flooder.type(b"echo still-$((5+5))\r")
            await flooder.until(b"still-10\r\n", timeout=30)
            for shell in (flooder, other):
                await shell.type(b"exit\r")
                await shell.process.wait_closed()
    run(scenario())
    settle(stack, demo.account["OwnerUin"])
    bh = Bastion(stack.endpoint, demo.account)
    from datetime import datetime, timedelta, timezone
    now = datetime.now(timezone.utc)
    window = dict(StartTime=(now - timedelta(hours=1)).isoformat(), EndTime=(now + timedelta(hours=1)).isoformat())
    found = {c["Cmd"] for c in bh.call("SearchCommand", Cmd="other-", Limit=50, **window)["Commands"]}
    assert {f"echo other-{i}-$((40+2))" for i in range(10)} <= found


def test_the_gateway_offers_aes_ciphers_only(gateway, demo):
    """Clients that put chacha20-poly1305 first get AES; one that speaks only chacha20 is refused
    at the key exchange (GZ_SSH_CIPHERS changes the list)."""
    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            assert conn.get_extra_info("send_cipher").startswith("aes")
        with pytest.raises((asyncssh.KeyExchangeFailed, asyncssh.DisconnectError)):
            await asyncssh.connect("127.0.0.1", gateway.port, username=demo.login, known_hosts=None,
                                   agent_path=None, client_keys=None,
                                   encryption_algs=["chacha20-poly1305@openssh.com"])
    run(scenario())
