"""The console's H5 terminal without a browser: a WebSocket client (the `websockets` library)
takes a ticket the API issued for a signed-in bastion user, and reaches the real bash behind the
demo target through the gateway's very session path: a command runs, a blocked one is refused,
the session is searchable and its recording plays back what the client saw; a lost connection
closes the target side; an expired, used or foreign ticket opens nothing."""
import asyncio
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from bastion_helpers import Bastion
from session_feed import deliver
from test_ssh_gateway import make_demo, run, target  # noqa: F401 - target is a fixture

pytestmark = pytest.mark.usefixtures("clock")

websockets = pytest.importorskip("websockets")


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


def issue(demo, account_id: int, cols: int = 100, rows: int = 30) -> str:
    from layers.bastion import web_tickets
    text, _ = web_tickets.issue(demo.account["OwnerUin"], demo.kept["user"], account_id, cols, rows)
    return text


def test_a_web_terminal_runs_commands_refuses_a_blocked_one_and_is_recorded(stack, gateway, target, clock):
    demo = make_demo(stack, target, clock)
    bh = Bastion(stack.endpoint, demo.account)
    template = bh.call("CreateCmdTemplate", Name=f"danger{uuid.uuid4().hex[:6]}", CmdList="rm\nshutdown")["Id"]
    (user,) = [u for u in bh.call("DescribeUsers")["UserSet"] if u["UserName"] == demo.kept["user"]]
    bh.call("CreateAcl", Name=f"guard-{uuid.uuid4().hex[:6]}", AllowDiskRedirect=False, AllowAnyAccount=True,
            UserIdSet=[user["Id"]], DeviceIdSet=[demo.kept["device_id"]], CmdTemplateIdSet=[template])
    ticket = issue(demo, root_account_id(bh, demo.kept["device_id"]))

    async def scenario():
        term = await Term.open(gateway.web_port, ticket)
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
        assert (await term.message("exit"))["status"] == 5
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
    assert any(e["Entry"] == 3 and e["Result"] == 1 for e in events)
