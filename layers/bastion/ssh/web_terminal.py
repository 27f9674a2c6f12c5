"""The console's H5 terminal (H5 运维): a WebSocket server in the gateway service, on the SSH
gateway's event loop (port GZ_WEB_TERMINAL_PORT, default 8324), that gives a browser the same
session an SSH client gets: the same authorization, target connection, recording, command audit
and blocking (server.Session, fed through WebProcess instead of an SSH channel).

A browser cannot log in over SSH, so it presents a ticket (layers/bastion/web_tickets.py) that
the console obtained, signed in as the bastion user, with CreateWebTerminalTicket. Messages:

    browser -> gateway   first, text:  {"ticket": "<ticket>"}
                         then  binary: keystrokes (bytes as typed; UTF-8)
                               text:   {"type": "resize", "cols": N, "rows": N}
                                       {"type": "input", "data": "<text>"}
    gateway -> browser   text:   {"type": "session", "sid": "...", "user", "account", "host"}
                         binary: terminal output (a refused command's `Guardzone: command blocked`
                                 notice among it, as an SSH client sees it)
                         text:   {"type": "error", "message": "..."}   the session was refused
                                 {"type": "exit", "status": N}          the target's side ended
                         then the gateway closes the WebSocket (1000; 4001 refused; 4000 bad message)

When the ticket is used, the gateway checks the user again (login_policy.admit: source address
whitelist, active, validity, hours, lock) and authorizes the device account (access.authorize,
the device named by its Id), then connects to the target as a login would (LoginFlow.open_target:
the hosted credential, else `Password of root@host:` asked in the terminal). Each attempt is a
login event with Entry 3 (web page). A WebSocket that closes or is lost ends the session: the
target connection is closed, the recording finished and the session ended (Status 2).
"""
import asyncio
import json
import logging
import os
import weakref
from typing import Optional

import asyncssh

from layers.bastion import login_policy, web_tickets
from layers.bastion.credentials import LoginRefused
from layers.bastion.snapshot import Snapshot
from layers.bastion.ssh import access, directory, target
from layers.bastion.ssh.access import Denied
from layers.bastion.ssh.login_flow import Login, LoginFlow
from layers.bastion.ssh.server import Session

log = logging.getLogger("guardzone.bastion.gateway")
DEFAULT_PORT = 8324
WEB_ENTRY = 3                   # LoginEvent.Entry: 3 web page
PROTOCOL = "SSH"                # the session's Protocol: the target is reached over SSH as from a client
TICKET_WAIT = 10.0              # s: the ticket must come this soon after the WebSocket opens
MAX_MESSAGE = 1024 * 1024
FRAME_BYTES = 64 * 1024         # output sent in frames of at most this
HIGH_WATER = 1024 * 1024        # output waiting for the browser beyond this holds the target back
REFUSED, BAD_MESSAGE = 4001, 4000
TERM = "xterm-256color"

_open = weakref.WeakSet()       # the live web sessions, for close_connections()


def port_setting() -> int:
    return int(os.environ.get("GZ_WEB_TERMINAL_PORT") or DEFAULT_PORT)


class _Input:
    """The browser's keys and window changes, read as Session reads an SSH channel's stdin."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue = asyncio.Queue()
        self.closed = False

    def feed(self, item) -> None:
        if not self.closed:
            self._queue.put_nowait(item)

    def feed_eof(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(None)

    async def read(self, n: int = -1) -> bytes:
        item = await self._queue.get()
        if item is None:
            self._queue.put_nowait(None)        # every later read sees the end too
            return b""
        if isinstance(item, tuple):
            cols, rows = item
            raise asyncssh.TerminalSizeChanged(cols, rows, 0, 0)
        return item

    async def line(self) -> Optional[str]:
        """A line typed without echo (the target password), None if the browser went away."""
        typed = bytearray()
        while True:
            try:
                data = await self.read()
            except asyncssh.TerminalSizeChanged:
                continue
            if not data:
                return None
            for byte in data:
                if byte in (0x0D, 0x0A):
                    return typed.decode("utf-8", "replace")
                if byte in (0x7F, 0x08):
                    del typed[-1:]
                elif byte == 0x03:
                    return None
                else:
                    typed.append(byte)


class _Output:
    """stdout and stderr of the operator's side: bytes queued for the browser by the sender."""

    def __init__(self, process: "WebProcess") -> None:
        self._process = process

    def write(self, data: bytes) -> None:
        self._process.queue_output(data)

    async def drain(self) -> None:
        await self._process.drained()


class WebProcess:
    """The operator's side of a session when it is a WebSocket: what server.Session uses of an
    asyncssh SSHServerProcess (a terminal session, never an exec)."""

    command = None

    def __init__(self, ws, cols: int, rows: int) -> None:
        self.ws = ws
        self.cols, self.rows = cols, rows
        self.env: dict = {}
        self.stdin = _Input()
        self.stdout = self.stderr = _Output(self)
        self.exit_status: Optional[int] = None
        self._buffer = bytearray()
        self._more = asyncio.Event()
        self._sent = asyncio.Event()
        self._gone = False
        self._sender = asyncio.ensure_future(self._send())

    # ---- what Session calls ----
    def get_terminal_size(self):
        return self.cols, self.rows, 0, 0

    def get_terminal_type(self) -> str:
        return TERM

    def exit(self, status: int) -> None:
        if self.exit_status is None:
            self.exit_status = status

    def exit_with_signal(self, signal: str, core_dumped: bool = False, msg: str = "", lang: str = "") -> None:
        self.exit(255)

    # ---- the browser's side ----
    def resize(self, cols: int, rows: int) -> None:
        self.cols, self.rows = web_tickets.clamp_size(cols, rows)
        self.stdin.feed((self.cols, self.rows))

    def queue_output(self, data: bytes) -> None:
        if data and not self._gone:
            self._buffer += data
            self._more.set()

    async def drained(self) -> None:
        while len(self._buffer) > HIGH_WATER and not self._gone:
            self._sent.clear()
            await self._sent.wait()

    async def _send(self) -> None:
        try:
            while True:
                await self._more.wait()
                self._more.clear()
                while self._buffer:
                    chunk = bytes(self._buffer[:FRAME_BYTES])
                    del self._buffer[:FRAME_BYTES]
                    await self.ws.send(chunk)
                    self._sent.set()
        except Exception:          # noqa: BLE001 - the browser went away: what is left is dropped
            self.gone()

    def gone(self) -> None:
        self._gone = True
        self._buffer.clear()
        self._sent.set()
        self.stdin.feed_eof()

    async def flush(self) -> None:
        """Send what is queued (the session has ended), then stop the sender."""
        self._more.set()
        while self._buffer and not self._gone and not self._sender.done():
            self._sent.clear()
            try:
                await asyncio.wait_for(self._sent.wait(), 5)
            except asyncio.TimeoutError:
                break
        self._sender.cancel()


def _who(ticket: web_tickets.Ticket):
    """(snapshot, user or None, device, login name or None) the ticket names, as the store has
    them now (blocking); no device and name when the device account or its device is gone."""
    snap = Snapshot(ticket.owner)
    user = access.find_user(snap, ticket.user_name)
    account = snap.accounts.get(ticket.device_account_id)
    device = snap.devices.get(account["DeviceId"]) if account else None
    if account is None or device is None or access.is_database(device):
        return snap, user, None, None
    host = device.get("PrivateIp") or device.get("PublicIp") or device.get("Name") or str(device["Id"])
    return snap, user, device, directory.LoginName(ticket.user_name, ticket.owner, account["Account"], host)


async def _send_json(ws, **message) -> None:
    try:
        await ws.send(json.dumps(message, ensure_ascii=False))
    except Exception:              # noqa: BLE001 - closed meanwhile
        pass


async def _refuse(ws, message: str) -> None:
    await _send_json(ws, type="error", message=message)
    try:
        await ws.close(REFUSED, "refused")
    except Exception:              # noqa: BLE001
        pass


class WebSession:
    """One WebSocket: the ticket, the login, then the session until either side ends."""

    def __init__(self, ws) -> None:
        self.ws = ws
        peer = ws.remote_address
        self.login = Login(peer=(peer[0] if peer else ""), entry=WEB_ENTRY)
        self.flow = LoginFlow(self.login)
        self.process: Optional[WebProcess] = None

    def close_target(self) -> None:
        conn = self.login.target_conn
        if conn is not None:
            conn.close()

    async def run(self) -> None:
        ticket = await self.ticket()
        if ticket is None:
            return
        self.process = WebProcess(self.ws, ticket.cols, ticket.rows)
        reader = asyncio.ensure_future(self.read())
        _open.add(self)
        try:
            if await self.log_in(ticket):
                await self.session()
        finally:
            reader.cancel()
            self.close_target()
            await self.process.flush()
        try:
            await self.ws.close(1000, "session ended")
        except Exception:          # noqa: BLE001
            pass

    async def ticket(self) -> Optional[web_tickets.Ticket]:
        try:
            first = await asyncio.wait_for(self.ws.recv(), TICKET_WAIT)
            text = json.loads(first)["ticket"] if isinstance(first, str) else None
        except asyncio.TimeoutError:
            await _refuse(self.ws, "no ticket came: open the terminal from the console again")
            return None
        except Exception:          # noqa: BLE001 - closed, or not JSON with a ticket
            text = None
        if not isinstance(text, str):
            await _refuse(self.ws, "the first message must be {\"ticket\": \"...\"}")
            return None
        try:
            return await self.flow.run(web_tickets.consume, text)
        except web_tickets.TicketRefused as exc:
            log.info("web terminal from %s: ticket refused (%s)", self.login.peer, exc)
            await _refuse(self.ws, "the ticket is unknown, used or expired: open the terminal from the console again")
            return None

    async def log_in(self, ticket: web_tickets.Ticket) -> bool:
        """The checks of a login, the login event, and the target connection."""
        s = self.login
        s.owner = ticket.owner
        try:
            snap, user, device, s.name = await self.flow.run(_who, ticket)
            if user is None:
                raise LoginRefused("unknown_user")
            s.user = user
            if device is None:
                raise Denied("unknown_account", "the host account of this terminal no longer exists")
            user, _ = await self.flow.run(lambda: login_policy.admit(s.owner, user["UserName"], source_ip=s.peer))
            s.user = user
            s.grant = await self.flow.run(lambda: access.authorize(snap, user, s.name.host, s.name.account,
                                                                   device_id=device["Id"]))
            result = await self.flow.open_target()
            if result is not True and s.step == "target_password":
                self.process.stdout.write(f"Password of {s.name.account}@{s.name.host}: ".encode())
                password = await self.process.stdin.line()
                if password is None:
                    await self.flow.fail("target_auth", "no password was given for the target")
                    return False
                self.process.stdout.write(b"\r\n")
                s.credential = target.Hosted(password=password)
                result = await self.flow.open_target()
            return result is True
        except LoginRefused as exc:
            await self.failed(exc.reason, str(exc) if exc.reason not in ("bad_password", "bad_totp") else "refused")
        except Denied as exc:
            await self.failed(exc.reason, exc.message)
        return False

    async def failed(self, reason: str, message: str) -> None:
        if self.login.user is None:
            self.login.owner = None             # no such user: nothing to file the event under
        await self.flow.fail(reason, message)
        await self.process.flush()
        await _refuse(self.ws, f"Access denied: {message}")

    async def session(self) -> None:
        s = self.login
        session = Session(self.process, s, protocol=PROTOCOL)
        await _send_json(self.ws, type="session", sid=session.sid, user=s.name.user, account=s.name.account,
                         host=s.name.host)
        await session.run()
        await self.process.flush()
        status = self.process.exit_status
        await _send_json(self.ws, type="exit", status=255 if status is None else status)

    async def read(self) -> None:
        """The browser's messages into the session; its going away ends the session."""
        process = self.process
        try:
            async for message in self.ws:
                if isinstance(message, bytes):
                    process.stdin.feed(message)
                    continue
                try:
                    msg = json.loads(message)
                    kind = msg.get("type")
                    if kind == "resize":
                        process.resize(msg.get("cols"), msg.get("rows"))
                    elif kind == "input" and isinstance(msg.get("data"), str):
                        process.stdin.feed(msg["data"].encode("utf-8"))
                    else:
                        raise ValueError(kind)
                except (ValueError, AttributeError, TypeError):
                    await self.ws.close(BAD_MESSAGE, "unknown message")
                    break
        except Exception:          # noqa: BLE001 - lost: as a close
            pass
        process.gone()
        self.close_target()


async def handle(ws) -> None:
    try:
        await WebSession(ws).run()
    except Exception:
        log.exception("web terminal session ended by an error")
        try:
            await ws.close(1011, "internal error")
        except Exception:          # noqa: BLE001
            pass


def close_connections() -> None:
    """End every web session (on the event loop): their targets close, their recordings finish."""
    for web in list(_open):
        web.close_target()
        if web.process is not None:
            web.process.stdin.feed_eof()


async def start_server(host: str, port: int):
    from websockets.asyncio.server import serve
    return await serve(handle, host, port, max_size=MAX_MESSAGE, ping_interval=20, ping_timeout=20,
                       server_header="Guardzone")
