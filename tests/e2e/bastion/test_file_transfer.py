"""File transfer through the gateway end to end: SFTP (asyncssh's client and OpenSSH's sftp and
scp) and legacy scp (`scp -O`, asyncssh's scp) to the demo target, under the ACL's AllowFileUp,
AllowFileDown, AllowFileDel, MaxFileUpSize and MaxFileDownSize; files reach or leave the
target's filesystem exactly when allowed, and every operation is found by SearchFile and
SearchFileBySid (official SDK), its channel by SearchSession (Kind 3)."""
import os
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncssh
import pytest

from bastion_helpers import Bastion, new_account
from ssh_support import Demo, logged_in, run
from session_feed import settle


pytestmark = pytest.mark.usefixtures("clock")     # conftest.py: every test's codes from its clock


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("target-home")


@pytest.fixture(scope="module")
def target(home):
    from infra.demo_host import DemoHost
    host = DemoHost("root", "target-" + uuid.uuid4().hex[:12], home=str(home)).start()
    yield host
    host.stop()


@pytest.fixture
def demo(stack, target, clock):
    from infra import demo_bastion
    account = new_account()
    kept = demo_bastion.ensure(stack.endpoint, account, target.port, target.password, None,
                               user=f"op{uuid.uuid4().hex[:8]}")
    return Demo(account, kept, target, target.password, clock)


@pytest.fixture
def work(home):
    """A fresh folder on the target (a path relative to its home, and where it is) and one on the
    operator's side."""
    name = "w" + uuid.uuid4().hex[:8]
    (home / name).mkdir()
    local = home.parent / ("local-" + name)
    local.mkdir()
    return name, home / name, local


def allow(stack, demo, **switches) -> Bastion:
    bh = Bastion(stack.endpoint, demo.account)
    acl = bh.call("DescribeAcls")["AclSet"][0]
    bh.call("ModifyAcl", Id=acl["Id"], Name=acl["Name"], AllowDiskRedirect=False, AllowAnyAccount=True, **switches)
    return bh


def window() -> dict:
    now = datetime.now(timezone.utc)
    return {"StartTime": (now - timedelta(hours=1)).isoformat(), "EndTime": (now + timedelta(hours=1)).isoformat()}


def file_sessions(stack, bh) -> list:
    settle(stack, bh.acct["OwnerUin"])
    found = bh.call("SearchSession", Kind=3, **window())["SessionSet"]
    return sorted(found, key=lambda s: s["StartTime"])


def ops(bh, sid: str) -> list:
    """(Method, path, Action, Size) of a session's file records, oldest first."""
    got = bh.call("SearchFileBySid", Sid=sid, Limit=200)["SearchFileBySidResult"]
    return [(r["Method"], r["FileCurr"], r["Action"], r["Size"]) for r in reversed(got)]


def test_sftp_uploads_downloads_and_deletes_as_the_acl_allows_and_each_is_recorded(stack, gateway, demo, work):
    name, there, local = work
    (there / "report.txt").write_bytes(b"r" * 1000)
    (local / "up.bin").write_bytes(os.urandom(300_000))
    bh = allow(stack, demo, AllowFileUp=True, AllowFileDown=True, AllowFileDel=False)

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            async with conn.start_sftp_client() as sftp:
                await sftp.put(str(local / "up.bin"), f"{name}/up.bin")
                await sftp.get(f"{name}/report.txt", str(local / "report.txt"))
                assert sorted(await sftp.listdir(name)) == [".", "..", "report.txt", "up.bin"]
                with pytest.raises(asyncssh.SFTPPermissionDenied, match="AllowFileDel"):
                    await sftp.remove(f"{name}/report.txt")
                await sftp.mkdir(f"{name}/sub")
                await sftp.rename(f"{name}/up.bin", f"{name}/sub/up.bin")
                with pytest.raises(asyncssh.SFTPPermissionDenied, match="AllowFileDel"):
                    await sftp.rmdir(f"{name}/sub")
    run(scenario())
    assert (there / "sub" / "up.bin").read_bytes() == (local / "up.bin").read_bytes()
    assert (local / "report.txt").read_bytes() == b"r" * 1000 and (there / "report.txt").exists()
    (session,) = file_sessions(stack, bh)
    assert (session["Protocol"], session["Status"], session["Account"]) == ("SFTP", 2, "root")
    assert session["Size"] == 301_000
    assert ops(bh, session["Id"]) == [
        (1, f"{name}/up.bin", 1, 300_000), (2, f"{name}/report.txt", 1, 1000), (3, f"{name}/report.txt", 2, None),
        (6, f"{name}/sub", 1, None), (4, f"{name}/up.bin", 1, None), (9, f"{name}/sub", 2, None)]
    moved = bh.call("SearchFileBySid", Sid=session["Id"], TypeFilters=[{"Protocol": "SFTP", "Method": [4]}])
    assert [(r["FileCurr"], r["FileNew"]) for r in moved["SearchFileBySidResult"]] == [
        (f"{name}/up.bin", f"{name}/sub/up.bin")]
    assert bh.call("SearchFileBySid", Sid=session["Id"], AuditAction=2)["TotalCount"] == 2
    assert bh.call("SearchFileBySid", Sid=session["Id"], FileName="REPORT")["TotalCount"] == 2
    assert bh.call("SearchFileBySid", Sid=session["Id"], TypeFilters=[{"Protocol": "SCP"}])["TotalCount"] == 0
    found = bh.call("SearchFile", Method=[1], UserName=demo.kept["user"], **window())["Files"]
    assert [(f["FileCurr"], f["Action"]) for f in found] == [(f"{name}/up.bin", 1)]
    newest = bh.call("SearchFileBySid", Sid=session["Id"], Limit=1)["SearchFileBySidResult"][0]
    assert {k: v for k, v in newest.items() if v is not None} == {
        "Time": newest["Time"], "Method": 9, "Protocol": "SFTP", "FileCurr": f"{name}/sub", "Action": 2}
    other = Bastion(stack.endpoint, new_account())
    assert other.call("SearchFileBySid", Sid=session["Id"])["TotalCount"] == 0


def test_sftp_refusals_never_reach_the_target_and_are_recorded(stack, gateway, demo, work):
    name, there, local = work
    (there / "secret.txt").write_bytes(b"s" * 10)
    (local / "new.txt").write_bytes(b"n" * 10)
    bh = allow(stack, demo, AllowFileUp=False, AllowFileDown=False, AllowFileDel=True)

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            async with conn.start_sftp_client() as sftp:
                with pytest.raises(asyncssh.SFTPPermissionDenied, match="AllowFileUp"):
                    await sftp.put(str(local / "new.txt"), f"{name}/new.txt")
                with pytest.raises(asyncssh.SFTPPermissionDenied, match="AllowFileDown"):
                    await sftp.get(f"{name}/secret.txt", str(local / "secret.txt"))
                for change in (sftp.mkdir(f"{name}/d"), sftp.chmod(f"{name}/secret.txt", 0o600),
                               sftp.rename(f"{name}/secret.txt", f"{name}/s2.txt"),
                               sftp.symlink(f"{name}/secret.txt", f"{name}/link")):
                    with pytest.raises(asyncssh.SFTPPermissionDenied, match="AllowFileUp"):
                        await change
                assert (await sftp.stat(f"{name}/secret.txt")).size == 10          # browsing is allowed
                await sftp.remove(f"{name}/secret.txt")
    run(scenario())
    assert sorted(p.name for p in there.iterdir()) == [] and not (local / "secret.txt").exists()
    (session,) = file_sessions(stack, bh)
    # (records of one millisecond have no order among them)
    assert sorted(ops(bh, session["Id"]), key=str) == sorted([
        (1, f"{name}/new.txt", 2, None), (2, f"{name}/secret.txt", 2, None), (6, f"{name}/d", 2, None),
        (1, f"{name}/secret.txt", 2, None), (5, f"{name}/secret.txt", 2, None), (1, f"{name}/link", 2, None),
        (3, f"{name}/secret.txt", 1, 10)], key=str)


def test_sftp_size_limits(stack, gateway, demo, work):
    name, there, local = work
    (there / "small.bin").write_bytes(b"a" * 4000)
    (there / "large.bin").write_bytes(b"b" * 9000)
    (local / "ok.bin").write_bytes(b"c" * 5000)
    (local / "big.bin").write_bytes(os.urandom(200_000))
    bh = allow(stack, demo, AllowFileUp=True, MaxFileUpSize=5000, AllowFileDown=True, MaxFileDownSize=4000,
               AllowFileDel=True)

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            async with conn.start_sftp_client() as sftp:
                await sftp.put(str(local / "ok.bin"), f"{name}/ok.bin")
                with pytest.raises(asyncssh.SFTPPermissionDenied, match="MaxFileUpSize"):
                    await sftp.put(str(local / "big.bin"), f"{name}/big.bin")
                await sftp.get(f"{name}/small.bin", str(local / "small.bin"))
                with pytest.raises(asyncssh.SFTPPermissionDenied, match="9000 bytes .*MaxFileDownSize"):
                    await sftp.get(f"{name}/large.bin", str(local / "large.bin"))
                # the same file by a read that goes past the limit: nothing past it comes
                async with sftp.open(f"{name}/small.bin", "rb") as f:
                    assert len(await f.read(10_000, 0)) == 4000
    run(scenario())
    assert (there / "ok.bin").read_bytes() == b"c" * 5000
    assert not (there / "big.bin").exists()                     # the part that went is removed
    assert (local / "small.bin").read_bytes() == b"a" * 4000 and not (local / "large.bin").exists()
    (session,) = file_sessions(stack, bh)
    recorded = ops(bh, session["Id"])
    assert recorded[:2] == [(1, f"{name}/ok.bin", 1, 5000), (1, f"{name}/big.bin", 2, recorded[1][3])]
    assert recorded[1][3] <= 5000
    assert recorded[2:] == [(2, f"{name}/small.bin", 1, 4000), (2, f"{name}/large.bin", 2, 9000),
                            (2, f"{name}/small.bin", 1, 4000)]


def test_posix_rename_over_a_file_needs_the_delete_permission(stack, gateway, demo, work):
    name, there, local = work
    (there / "a.txt").write_bytes(b"a")
    (there / "b.txt").write_bytes(b"b")
    (there / "dir").mkdir()
    bh = allow(stack, demo, AllowFileUp=True, AllowFileDown=True, AllowFileDel=False)

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            async with conn.start_sftp_client() as sftp:
                with pytest.raises(asyncssh.SFTPPermissionDenied, match="replacing .*AllowFileDel"):
                    await sftp.posix_rename(f"{name}/a.txt", f"{name}/b.txt")
                await sftp.posix_rename(f"{name}/a.txt", f"{name}/c.txt")
                await sftp.rename(f"{name}/dir", f"{name}/folder")
    run(scenario())
    assert sorted(p.name for p in there.iterdir()) == ["b.txt", "c.txt", "folder"]
    (session,) = file_sessions(stack, bh)
    assert ops(bh, session["Id"]) == [(5, f"{name}/a.txt", 2, None), (5, f"{name}/a.txt", 1, None),
                                      (8, f"{name}/dir", 1, None)]


def test_legacy_scp_by_asyncssh_under_the_same_rules(stack, gateway, demo, work):
    name, there, local = work
    (there / "down.txt").write_bytes(b"d" * 700)
    (there / "huge.txt").write_bytes(b"h" * 7000)
    (local / "up.txt").write_bytes(b"u" * 600)
    (local / "tree").mkdir()
    (local / "tree" / "one.txt").write_bytes(b"1" * 100)
    (local / "tree" / "two.txt").write_bytes(b"2" * 6000)
    bh = allow(stack, demo, AllowFileUp=True, MaxFileUpSize=5000, AllowFileDown=True, MaxFileDownSize=5000)

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            await asyncssh.scp(str(local / "up.txt"), (conn, f"{name}/"))
            await asyncssh.scp(str(local / "tree"), (conn, name), recurse=True, error_handler=lambda e: None)
            await asyncssh.scp((conn, f"{name}/down.txt"), str(local))
            with pytest.raises(asyncssh.SFTPError, match="MaxFileDownSize"):
                await asyncssh.scp((conn, f"{name}/huge.txt"), str(local))
    run(scenario())
    assert (there / "up.txt").read_bytes() == b"u" * 600
    assert sorted(p.name for p in (there / "tree").iterdir()) == ["one.txt"]
    assert (local / "down.txt").read_bytes() == b"d" * 700 and not (local / "huge.txt").exists()
    sessions = file_sessions(stack, bh)
    assert [s["Protocol"] for s in sessions] == ["SCP"] * 4
    records = sorted(sorted(ops(bh, s["Id"])) for s in sessions)       # sessions of one second: any order
    assert records == [[(1, f"{name}/tree/one.txt", 1, 100), (1, f"{name}/tree/two.txt", 2, 6000)],
                       [(1, f"{name}/up.txt", 1, 600)],
                       [(2, f"{name}/down.txt", 1, 700)], [(2, f"{name}/huge.txt", 2, 7000)]]


# ---- OpenSSH's clients ----

def openssh(tool: str, demo: Demo, gateway, folder: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """sftp or scp through the gateway, its prompts answered by an askpass program (password,
    then a fresh code)."""
    code = demo.code()
    askpass = folder / f"askpass-{uuid.uuid4().hex[:6]}.sh"
    askpass.write_text(f"#!/bin/sh\ncase \"$1\" in *code*) echo {code};; *) echo '{demo.kept['password']}';; esac\n")
    askpass.chmod(0o700)
    port = ["-P", str(gateway.port)]
    options = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
               "-o", "PreferredAuthentications=keyboard-interactive", "-o", f"User={demo.login}",
               "-o", "BatchMode=no"]          # sftp -b would turn it on: the prompts need it off
    return subprocess.run([tool, *port, *options, *args], input=stdin, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force",
                               "DISPLAY": ":0"}, cwd=folder)


needs_openssh = pytest.mark.skipif(not (shutil.which("sftp") and shutil.which("scp")), reason="no OpenSSH client")


@needs_openssh
def test_openssh_sftp_batch(stack, gateway, demo, work):
    name, there, local = work
    (there / "keep.txt").write_bytes(b"k" * 50)
    (local / "put.txt").write_bytes(b"p" * 60)
    bh = allow(stack, demo, AllowFileUp=True, AllowFileDown=False, AllowFileDel=False)
    # "-" before a command: sftp goes on when it fails
    batch = (f"put put.txt {name}/put.txt\n-get {name}/keep.txt got.txt\n-rm {name}/keep.txt\nmkdir {name}/m\n"
             f"ls {name}\n")
    done = openssh("sftp", demo, gateway, local, "-b", "-", "127.0.0.1", stdin=batch)
    assert done.returncode == 0, done.stderr
    assert "Permission denied" in done.stderr or "AllowFileDown" in done.stderr
    assert (there / "put.txt").read_bytes() == b"p" * 60 and (there / "keep.txt").exists()
    assert (there / "m").is_dir() and not (local / "got.txt").exists()
    (session,) = file_sessions(stack, bh)
    # OpenSSH's sftp sends absolute paths (from the home's REALPATH)
    assert ops(bh, session["Id"]) == [(1, f"{there}/put.txt", 1, 60), (2, f"{there}/keep.txt", 2, None),
                                      (3, f"{there}/keep.txt", 2, None), (6, f"{there}/m", 1, None)]


@needs_openssh
@pytest.mark.parametrize("legacy", [False, True], ids=["scp-over-sftp", "scp-O"])
def test_openssh_scp_both_protocols(stack, gateway, demo, work, legacy):
    name, there, local = work
    (there / "fetch.txt").write_bytes(b"f" * 80)
    (local / "send.txt").write_bytes(b"s" * 90)
    (local / "big.txt").write_bytes(b"b" * 9000)
    flags = ["-O"] if legacy else []
    bh = allow(stack, demo, AllowFileUp=True, MaxFileUpSize=1000, AllowFileDown=False)
    sent = openssh("scp", demo, gateway, local, *flags, "send.txt", f"127.0.0.1:{name}/")
    assert sent.returncode == 0, sent.stderr
    refused = openssh("scp", demo, gateway, local, *flags, "big.txt", f"127.0.0.1:{name}/big.txt")
    # scp -O shows the gateway's message; over SFTP OpenSSH's scp says "Permission denied" only
    assert refused.returncode != 0 and ("MaxFileUpSize" if legacy else "Permission denied") in refused.stderr
    fetched = openssh("scp", demo, gateway, local, *flags, f"127.0.0.1:{name}/fetch.txt", "fetched.txt")
    assert fetched.returncode != 0 and ("AllowFileDown" if legacy else "Permission denied") in fetched.stderr
    assert (there / "send.txt").read_bytes() == b"s" * 90 and not (there / "big.txt").exists()
    assert not (local / "fetched.txt").exists()
    sessions = file_sessions(stack, bh)
    assert [s["Protocol"] for s in sessions] == ["SCP" if legacy else "SFTP"] * 3
    recorded = sorted(ops(bh, s["Id"]) for s in sessions)       # sessions of one second: any order
    assert recorded[0][-1][:3] == (1, f"{name}/big.txt", 2)
    # the size of a refused download: scp's C line tells it; an SFTP open does not
    assert recorded[1:] == [[(1, f"{name}/send.txt", 1, 90)], [(2, f"{name}/fetch.txt", 2, 80 if legacy else None)]]


def test_search_file_by_sid_checks_its_input(stack, bh):
    found = bh.call("SearchFileBySid", Sid="no-such-session", AuditLog=True)
    assert (found["TotalCount"], found["SearchFileBySidResult"]) == (0, [])
    assert bh.raw_error("SearchFileBySid") == "MissingParameter"
    assert bh.raw_error("SearchFileBySid", Sid="") == "InvalidParameterValue"
    assert bh.raw_error("SearchFileBySid", Sid="s", Limit=201) == "InvalidParameterValue"
    assert bh.raw_error("SearchFileBySid", Sid="s", AuditAction=3) == "InvalidParameterValue"
    assert bh.raw_error("SearchFileBySid", Sid="s", TypeFilters=[{"Method": [1]}]) == "MissingParameter"
    assert bh.raw_error("SearchFileBySid", Sid="s", Offset=9990, Limit=20) == "InvalidParameterValue"
    assert bh.raw_error("SearchFileBySid", Sid="s", Nope=1) == "UnknownParameter"


def test_rz_sz_in_a_terminal_follow_the_shell_file_permissions(stack, gateway, demo):
    """What sz (ZRQINIT) and rz (ZRINIT) put on the terminal to begin a ZMODEM transfer: sz is
    cancelled on both sides where AllowShellFileDown is off, rz goes on where AllowShellFileUp is
    on; both are recorded (Protocol RZSZ) in the terminal session."""
    from ssh_support import shell as open_shell
    bh = allow(stack, demo, AllowShellFileUp=True, AllowShellFileDown=False)
    sz_begins = "printf '**\\030B00000000000000\\r\\212\\021'"
    rz_begins = "printf '**\\030B0100000023be50\\r\\212\\021'; echo; echo rz-$((1+2))"

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn)
            await sh.type(sz_begins.encode() + b"\r")
            await sh.until(b"sz downloads are not allowed (AllowShellFileDown)")
            await sh.type(b"echo after-sz-$((1+1))\r")           # what followed the header was dropped
            await sh.until(b"after-sz-2\r\n")
            assert b"\x18" * 8 + b"\x08" * 8 in sh.seen and b"**\x18B00" not in sh.seen
            await sh.type(rz_begins.encode() + b"\r")
            await sh.until(b"rz-3\r\n")
            assert b"**\x18B01" in sh.seen                  # allowed: the operator's terminal gets it
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
    run(scenario())
    settle(stack, bh.acct["OwnerUin"])
    (session,) = bh.call("SearchSession", Kind=1, **window())["SessionSet"]
    got = bh.call("SearchFileBySid", Sid=session["Id"], Limit=10)["SearchFileBySidResult"]
    assert sorted((r["Method"], r["Action"], r["Protocol"]) for r in got) == [(1, 1, "RZSZ"), (2, 2, "RZSZ")]


def test_file_contents_are_kept_up_to_the_cap_where_set(stack, gateway, demo, work, monkeypatch):
    """GZ_BASTION_KEEP_FILE_BYTES: each file an SFTP or scp session carries keeps its first bytes
    in the recordings bucket under the session's Sid (off by default: the other tests keep none)."""
    from layers import aws
    from layers.config import settings
    monkeypatch.setattr(settings(), "keep_file_bytes", 1000)
    name, there, local = work
    up = os.urandom(3000)
    (local / "up.bin").write_bytes(up)
    (there / "down.txt").write_bytes(b"0123456789" * 50)
    (local / "small.txt").write_bytes(b"tiny")
    bh = allow(stack, demo, AllowFileUp=True, AllowFileDown=True)

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            async with conn.start_sftp_client() as sftp:
                await sftp.put(str(local / "up.bin"), f"{name}/up.bin")
                await sftp.get(f"{name}/down.txt", str(local / "down.txt"))
            await asyncssh.scp(str(local / "small.txt"), (conn, f"{name}/"))
    run(scenario())
    s3 = aws.client("s3")
    owner = demo.account["OwnerUin"]
    kept = {}
    for session in file_sessions(stack, bh):
        listed = s3.list_objects_v2(Bucket=settings().recordings_bucket, Prefix=f"bastion-recordings/{owner}/")
        for obj in listed.get("Contents", []):
            if f"/{session['Id']}/files/" in obj["Key"]:
                got = s3.get_object(Bucket=settings().recordings_bucket, Key=obj["Key"])
                kept[(session["Protocol"], obj["Key"].rsplit("/", 1)[1])] = (got["Body"].read(), got["Metadata"])
    assert kept == {
        ("SFTP", "1-up.bin"): (up[:1000], {"path": f"{name}/up.bin", "direction": "up", "kept-bytes": "1000"}),
        ("SFTP", "2-down.txt"): (b"0123456789" * 50, {"path": f"{name}/down.txt", "direction": "down",
                                                      "kept-bytes": "500"}),
        ("SCP", "1-small.txt"): (b"tiny", {"path": f"{name}/small.txt", "direction": "up", "kept-bytes": "4"})}


# ---- file-transfer servers run as a command ----

@needs_openssh
def test_sftp_server_run_as_a_command_is_relayed_like_the_subsystem(stack, gateway, demo, work):
    """`sftp -s /usr/lib/openssh/sftp-server` (and sshfs's `sftp_server=`) asks for the server as
    an exec command: it gets the SFTP relay and its rules, not a plain command's free pass."""
    name, there, local = work
    (there / "keep.txt").write_bytes(b"k" * 40)
    (local / "put.txt").write_bytes(b"p" * 10)
    bh = allow(stack, demo, AllowFileUp=False, AllowFileDown=True)
    batch = f"-put put.txt {name}/put.txt\nget {name}/keep.txt got.txt\n"
    done = openssh("sftp", demo, gateway, local, "-s", "/usr/lib/openssh/sftp-server", "-b", "-", "127.0.0.1",
                   stdin=batch)
    assert done.returncode == 0, done.stderr
    assert not (there / "put.txt").exists() and (local / "got.txt").read_bytes() == b"k" * 40
    (session,) = file_sessions(stack, bh)
    assert session["Protocol"] == "SFTP"
    assert [op[:3] for op in ops(bh, session["Id"])] == [(1, f"{there}/put.txt", 2), (2, f"{there}/keep.txt", 1)]


def test_scp_told_options_the_relay_does_not_follow_is_refused(stack, gateway, demo, work):
    name, there, _ = work
    bh = allow(stack, demo, AllowFileUp=False)

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            done = await conn.run(f"scp -B -t {name}/x.txt", input="C0644 3 x.txt\nabc\0", check=False)
            return done
    done = run(scenario())
    assert done.exit_status == 1 and "scp options" in done.stderr and not (there / "x.txt").exists()
    (session,) = file_sessions(stack, bh)
    assert session["Protocol"] == "SCP"


@pytest.fixture(scope="module")
def rsync_tool():
    if shutil.which("rsync") is None:
        subprocess.run(["sh", str(Path(__file__).resolve().parents[3] / "infra" / "debian_deps.sh"), "rsync"],
                       check=False, timeout=600)
    if shutil.which("rsync") is None or not shutil.which("ssh"):
        pytest.skip("needs rsync and OpenSSH's ssh (infra/debian_deps.sh rsync: no apt-get, not root, or it failed)")
    return shutil.which("rsync")


def rsync(demo: Demo, gateway, folder: Path, *args: str) -> subprocess.CompletedProcess:
    """rsync over ssh through the gateway (its prompts answered as openssh() does)."""
    code = demo.code()
    askpass = folder / f"askpass-{uuid.uuid4().hex[:6]}.sh"
    askpass.write_text(f"#!/bin/sh\ncase \"$1\" in *code*) echo {code};; *) echo '{demo.kept['password']}';; esac\n")
    askpass.chmod(0o700)
    ssh = (f"ssh -p {gateway.port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "
           f"-o PreferredAuthentications=keyboard-interactive -o User={demo.login}")
    return subprocess.run(["rsync", "-e", ssh, *args], capture_output=True, text=True, timeout=60, cwd=folder,
                          env={**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force",
                               "DISPLAY": ":0"})


def test_rsync_runs_only_as_the_file_switches_allow(stack, gateway, demo, work, rsync_tool):
    name, there, local = work
    (local / "up.txt").write_bytes(b"u" * 30)
    (there / "down.txt").write_bytes(b"d" * 20)
    bh = allow(stack, demo, AllowFileUp=False, AllowFileDown=False, AllowFileDel=False)
    up = rsync(demo, gateway, local, "up.txt", f"127.0.0.1:{name}/")
    assert up.returncode != 0 and "AllowFileUp" in up.stderr and not (there / "up.txt").exists()
    down = rsync(demo, gateway, local, f"127.0.0.1:{name}/down.txt", "got.txt")
    assert down.returncode != 0 and "AllowFileDown" in down.stderr and not (local / "got.txt").exists()
    allow(stack, demo, AllowFileUp=True, AllowFileDown=True, AllowFileDel=False)
    up = rsync(demo, gateway, local, "up.txt", f"127.0.0.1:{name}/")
    assert up.returncode == 0, up.stderr
    assert (there / "up.txt").read_bytes() == b"u" * 30
    mirror = rsync(demo, gateway, local, "-r", "--delete", "./", f"127.0.0.1:{name}/")
    assert mirror.returncode != 0 and "AllowFileDel" in mirror.stderr and (there / "down.txt").exists()
    allow(stack, demo, AllowFileUp=True, MaxFileUpSize=1000, AllowFileDown=True)
    limited = rsync(demo, gateway, local, "up.txt", f"127.0.0.1:{name}/again.txt")
    assert limited.returncode != 0 and "size limit" in limited.stderr and not (there / "again.txt").exists()
    refused = [s for s in file_sessions(stack, bh) if s["Protocol"] == "RSYNC"]
    assert len(refused) == 4
    methods = sorted(ops(bh, s["Id"])[0][:1] + ops(bh, s["Id"])[0][2:3] for s in refused)
    assert methods == [(1, 2), (1, 2), (2, 2), (3, 2)]       # up, up (limit), down, delete: each Action 2
