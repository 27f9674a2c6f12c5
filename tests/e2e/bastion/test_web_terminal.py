"""The console's H5 terminal without a browser: a WebSocket client (the `websockets` library)
takes a ticket the API issued for a signed-in bastion user, and reaches the real bash behind the
demo target through the gateway's very session path: a command runs, a blocked one is refused,
the session is searchable and its recording plays back what the client saw; a lost connection
closes the target side; an expired, used or foreign ticket opens nothing."""
import asyncio
import json
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from bastion_helpers import Bastion
from session_feed import deliver
from ssh_support import run
from test_ssh_gateway import make_demo, target  # noqa: F401 - target is a fixture

pytestmark = pytest.mark.usefixtures("clock")

import websockets  # noqa: E402 (a project dependency: its absence is a broken install, not a skip)


def window() -> dict:
    now = datetime.now(timezone.utc)
    return dict(StartTime=(now - timedelta(hours=1)).isoformat(), EndTime=(now + timedelta(hours=1)).isoformat())


def root_account_id(bh: Bastion, device_id: int) -> int:
    accounts = bh.call("DescribeDeviceAccounts", DeviceId=device_id)["DeviceAccountSet"]
    return next(a["Id"] for a in accounts if a["Account"] == "root")


class Term:
    """A WebSocket terminal client: what it was sent (output bytes and control messages)."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.seen = bytearray()
        self.messages = []

    @classmethod
    async def open(cls, port: int, ticket: str) -> "Term":
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/", open_timeout=10)
        await ws.send(json.dumps({"ticket": ticket}))
        return cls(ws)

    async def pump(self, timeout: float = 10) -> bool:
        """One message in; False once the gateway closed."""
        try:
            msg = await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.ConnectionClosed:
            return False
        if isinstance(msg, bytes):
            self.seen += msg
        else:
            self.messages.append(json.loads(msg))
        return True

    async def until(self, marker: bytes, since: int = 0, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.seen[since:]:
            if not await self.pump(max(0.1, deadline - time.monotonic())):
                raise EOFError(bytes(self.seen[-300:]), self.messages)

    async def message(self, kind: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages if m.get("type") == kind]
            if found:
                return found[0]
            if not await self.pump(max(0.1, deadline - time.monotonic())):
                raise EOFError(bytes(self.seen[-300:]), self.messages)

    async def closed(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while await self.pump(max(0.1, deadline - time.monotonic())):
            pass

    async def type(self, keys: bytes) -> None:
        await self.ws.send(keys)


def operator_of(stack, demo) -> Bastion:
    """The demo user signed in to the console (password and code): its temporary key's client."""
    from layers.bastion import console_signin
    done = console_signin.sign_in(demo.account["OwnerUin"], demo.kept["user"], demo.kept["password"], demo.code(),
                                  "127.0.0.1")
    return Bastion(stack.endpoint, {"OwnerUin": demo.account["OwnerUin"], "SecretId": done.issued.secret_id,
                                    "SecretKey": done.issued.secret_key, "Token": done.issued.token})


def guarded(stack, target, clock):
    """A demo whose ACLs block `rm`, its admin client, its operator's client and root's account Id."""
    demo = make_demo(stack, target, clock)
    bh = Bastion(stack.endpoint, demo.account)
    template = bh.call("CreateCmdTemplate", Name=f"danger{uuid.uuid4().hex[:6]}", CmdList="rm\nshutdown")["Id"]
    (user,) = [u for u in bh.call("DescribeUsers")["UserSet"] if u["UserName"] == demo.kept["user"]]
    bh.call("CreateAcl", Name=f"guard-{uuid.uuid4().hex[:6]}", AllowDiskRedirect=False, AllowAnyAccount=True,
            UserIdSet=[user["Id"]], DeviceIdSet=[demo.kept["device_id"]], CmdTemplateIdSet=[template])
    return demo, bh, operator_of(stack, demo), root_account_id(bh, demo.kept["device_id"])


def test_a_web_terminal_runs_commands_refuses_a_blocked_one_and_is_recorded(stack, gateway, target, clock):
    demo, bh, op, root_id = guarded(stack, target, clock)
    (host,) = op.call("DescribeAccessibleDevices")["DeviceSet"]
    assert host["Id"] == demo.kept["device_id"] and {"Id": root_id, "Account": "root"} in host["AccountSet"]
    issued = op.call("CreateWebTerminalTicket", DeviceAccountId=root_id, Cols=100, Rows=30)
    assert (issued["Account"], issued["Cols"], issued["Rows"], issued["Url"]) == ("root", 100, 30, "")
    assert bh.error("CreateWebTerminalTicket", DeviceAccountId=root_id) == "OperationDenied"   # an API key: no user

    async def scenario():
        term = await Term.open(gateway.web_port, issued["Ticket"])
        started = await term.message("session")
        await term.type(b"stty size; echo web-$((6*7))\r")
        await term.until(b"web-42\r\n")
        assert b"30 100" in term.seen
        await term.ws.send(json.dumps({"type": "resize", "cols": 120, "rows": 40}))
        mark = len(term.seen)
        await term.type(b"stty size\r")
        await term.until(b"40 120", mark)
        mark = len(term.seen)
        await term.type(b"rm -rf /tmp/gz-web-nothing\r")
        await term.until(b"Guardzone: command blocked", mark)
        await term.type(b"exit 5\r")
        # the exit message follows the session's end: recording completed in S3, statements and the
        # session record written; on a loaded machine (moto shared by the whole suite) that takes a while
        assert (await term.message("exit", timeout=60))["status"] == 5
        await term.closed()
        return started["sid"], bytes(term.seen)
    sid, seen = run(scenario())
    deliver(stack)
    (found,) = [s for s in bh.call("SearchSession", Kind=1, **window())["SessionSet"] if s["Id"] == sid]
    assert (found["Status"], found["Protocol"], found["Account"]) == (2, "SSH", "root")
    assert found["DangerCount"] == 1 and found["UserName"] == demo.kept["user"]
    commands = {c["Cmd"]: c["Action"] for c in bh.call("SearchCommandBySid", Sid=sid, Limit=200)["CommandSet"]}
    assert commands.get("rm -rf /tmp/gz-web-nothing") == 2 and "stty size" in commands
    # the recording plays back what the browser was sent
    from layers.bastion import recording_store, sessions
    kept = sessions.recording(demo.account["OwnerUin"], sid)
    cast = recording_store.read(demo.account["OwnerUin"], kept["key"]).decode().splitlines()
    header = json.loads(cast[0])
    assert (header["width"], header["height"]) == (100, 30)
    played = "".join(e[2] for e in map(json.loads, cast[1:]) if e[1] == "o").encode()
    assert played == seen
    events = bh.call("DescribeLoginEvent", UserName=demo.kept["user"], **window())["LoginEventSet"]
    assert sum(e["Entry"] == 3 and e["Result"] == 1 for e in events) == 2      # the console sign-in, the terminal


def test_a_lost_websocket_ends_the_target_session_and_its_recording(stack, gateway, target, clock):
    import os
    demo, bh, op, root_id = guarded(stack, target, clock)
    ticket = op.call("CreateWebTerminalTicket", DeviceAccountId=root_id)["Ticket"]

    async def scenario():
        term = await Term.open(gateway.web_port, ticket)
        sid = (await term.message("session"))["sid"]
        await term.type(b"echo pid-$((0+$$))-x\r")
        while not re.search(rb"pid-[0-9]+-x", term.seen):     # the output, not the echo of the line
            assert await term.pump(), bytes(term.seen)
        pid = int(re.search(rb"pid-([0-9]+)-x", term.seen).group(1))
        term.ws.transport.abort()                        # the browser is gone, no close frame
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return sid
            await asyncio.sleep(0.05)
        raise AssertionError(f"the target's shell {pid} is still running")
    sid = run(scenario())
    from layers.bastion import sessions
    for _ in range(100):                                 # the gateway ends it as the target's side closes
        kept = sessions.recording(demo.account["OwnerUin"], sid)
        if kept:
            break
        time.sleep(0.05)
    assert kept and kept["size"] > 0
    deliver(stack)
    (found,) = [s for s in bh.call("SearchSession", Kind=1, **window())["SessionSet"] if s["Id"] == sid]
    assert found["Status"] == 2 and found["EndTime"]


def test_a_used_expired_or_foreign_ticket_opens_nothing(stack, gateway, target, clock):
    from layers.bastion import web_tickets
    demo, bh, op, root_id = guarded(stack, target, clock)
    owner = demo.account["OwnerUin"]

    async def refused(ticket: str) -> str:
        term = await Term.open(gateway.web_port, ticket)
        await term.closed()
        assert term.ws.close_code == 4001 and not term.seen
        (error,) = [m for m in term.messages if m["type"] == "error"]
        return error["message"]

    async def opened(ticket: str) -> None:
        term = await Term.open(gateway.web_port, ticket)
        await term.message("session")
        await term.type(b"exit\r")
        await term.closed()

    used = op.call("CreateWebTerminalTicket", DeviceAccountId=root_id)["Ticket"]
    expired, _ = web_tickets.issue(owner, demo.kept["user"], root_id, now=time.time() - web_tickets.TICKET_SECONDS - 1)
    run(opened(used))
    assert "unknown, used or expired" in run(refused(used))
    assert "unknown, used or expired" in run(refused(expired))
    assert "unknown, used or expired" in run(refused("A" * web_tickets.TICKET_LENGTH))
    # another account's operator (Ids are per account): this account's host account is not there
    # for it, through the API or with a ticket made anyway
    admin_id = bh.call("CreateDeviceAccount", DeviceId=demo.kept["device_id"], Account="admin")["Id"]
    other = make_demo(stack, target, clock)
    other_op = operator_of(stack, other)
    assert other_op.error("CreateWebTerminalTicket", DeviceAccountId=admin_id) == "ResourceNotFound"
    assert [d["Id"] for d in other_op.call("DescribeAccessibleDevices")["DeviceSet"]] == [other.kept["device_id"]]
    foreign, _ = web_tickets.issue(other.account["OwnerUin"], other.kept["user"], admin_id)
    assert "no longer exists" in run(refused(foreign))
    # a user of the account without an ACL for the host: no ticket, and a ticket made anyway is refused
    # by the gateway's own check
    bh.call("DeleteAcls", IdSet=[a["Id"] for a in bh.call("DescribeAcls")["AclSet"]])
    assert op.error("CreateWebTerminalTicket", DeviceAccountId=root_id) == "UnauthorizedOperation.NoPermission"
    assert op.call("DescribeAccessibleDevices")["DeviceSet"] == []
    forged, _ = web_tickets.issue(owner, demo.kept["user"], root_id)
    assert "no access permission" in run(refused(forged))
    deliver(stack)
    events = bh.call("DescribeLoginEvent", UserName=demo.kept["user"], Entry=3, Result=2, **window())
    assert events["TotalCount"] == 2                         # the refused ticket, the refused WebSocket
    other_events = Bastion(stack.endpoint, other.account).call("DescribeLoginEvent", Entry=3, Result=2, **window())
    assert other_events["TotalCount"] == 1                   # the foreign ticket, in its own account
