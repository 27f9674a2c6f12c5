"""The bastion's MySQL proxy: database clients (mysql, MySQL Workbench, Navicat, drivers) connect
to the gateway's MySQL port, log in with bastion credentials (login.py), and the proxy logs in to
the target with the device account's hosted password (target.py), then relays the command phase
packet by packet. Each command the client sends is read before it is passed on: statements are
judged by the ACLs' high-risk templates (layers/bastion/sql_policy.py) and recorded; a blocked one
never reaches the target and the client gets an error packet naming the rule. Responses are
relayed as they come, read only as far as needed to know where they end and what they affected.

Per session: a live session record (Protocol "MySQL", Kind 4), each statement on the session-log
queue with its time, affected rows, rows returned and error (SearchCommandBySid), and an
asciicast recording of the statements and their outcomes (never the result sets).
"""
import asyncio
import itertools
import logging
import os
import struct
import time
import uuid
import weakref
from typing import Dict, List, Optional, Tuple

from layers.bastion import recording, session_log, sessions, sql_policy
from layers.bastion.mysql import login as db_login
from layers.bastion.mysql import protocol as p
from layers.bastion.mysql import responses as r
from layers.bastion.mysql import target as db_target
from layers.bastion.ssh import commands
from layers.bastion.ssh.access import Denied, Grant
from layers.bastion.ssh.login_flow import Login

log = logging.getLogger("guardzone.bastion.mysql")
DEFAULT_PORT = 8323
READ_BYTES = 256 * 1024
ENDED, FORCED, FAILED = 2, 3, 4
_ids = itertools.count(1)
_open: "weakref.WeakSet" = weakref.WeakSet()


def port_setting() -> int:
    return int(os.environ.get("GZ_MYSQL_PORT") or DEFAULT_PORT)


def server_version() -> str:
    """What the proxy's greeting calls the server (GZ_MYSQL_VERSION): clients only show it."""
    return os.environ.get("GZ_MYSQL_VERSION") or "5.7.99-Guardzone"


def login_timeout() -> float:
    try:
        return max(1.0, float(os.environ.get("GZ_SSH_LOGIN_TIMEOUT") or 60))
    except ValueError:
        return 60.0


def new_loop() -> asyncio.AbstractEventLoop:
    """The proxy's event loop: uvloop's (half the per-statement cost of asyncio's own loop), or
    asyncio's where uvloop is missing or GZ_MYSQL_UVLOOP=0."""
    if os.environ.get("GZ_MYSQL_UVLOOP", "1") != "0":
        try:
            import uvloop
            return uvloop.new_event_loop()
        except ImportError:
            log.warning("uvloop is not installed: the MySQL proxy runs on asyncio's own event loop")
    return asyncio.new_event_loop()


def close_connections() -> None:
    for conn in list(_open):
        conn.close()


class Blocked(Exception):
    pass


class Statements:
    """A session's statements onto the session-log queue and into its recording.

    Off the statement path: each statement's message waits in the session, and they go to the
    queue packed (session_log "batch" messages of up to PACK statements or about PACK_BYTES) by
    the publisher's sender thread every EVERY seconds, or sooner once FLUSH_BYTES are waiting; all
    of them when the session ends. One queue call then carries hundreds of statements instead of
    ten: the sender's CPU (and the GIL it holds) no longer sits between a client and its results."""

    EVERY = 0.2                 # s: the longest a statement waits for the queue while its session runs
    PACK, PACK_BYTES = 200, 48_000
    FLUSH_BYTES = 4 * PACK_BYTES    # one queue call (SendMessageBatch allows 256 KiB in all)

    def __init__(self, grant: Grant, sid: str, started: float, peer: str, rec: recording.Recording) -> None:
        self.publisher = commands.Publisher(grant, sid, started, peer)
        self.recording = rec
        self.count = self.dangers = 0
        self.waiting: List[dict] = []
        self.waiting_bytes = 0
        self.timer: Optional[asyncio.TimerHandle] = None

    def flush(self) -> None:
        """Hand the waiting messages, packed, to the publisher's sender thread."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.waiting:
            for call in _packed(self.waiting, self.PACK, self.PACK_BYTES, self.FLUSH_BYTES):
                self.publisher.submit(call)
            self.waiting, self.waiting_bytes = [], 0

    def record(self, items: List[Tuple[str, int, Optional["r.Result"], str]]) -> None:
        """(statement, action, result, error text) each: one command message each."""
        for text, action, result, error in items:
            offset = self.recording.offset_ms()
            msg = self.publisher.message(text, offset, action)
            if result is not None:
                msg["AffectedRows"], msg["Rows"] = result.affected, result.rows
                if result.error is not None:
                    error = str(result.error)
            if error:
                msg["Error"] = error
            self.waiting.append(msg)
            self.waiting_bytes += _size(msg)
            self.count += 1
            self.dangers += action == commands.REFUSED
            self.recording.output(_transcript(text, action, result, error))
        if self.waiting_bytes >= self.FLUSH_BYTES:
            self.flush()
        elif self.waiting and self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self.EVERY, self.flush)


_BASE_BYTES = 512       # a message's session fields and numbers, JSON-encoded, at most (about)


def _size(msg: dict) -> int:
    """About (never less than) the bytes of a message on the queue."""
    n = 0
    for key in ("Cmd", "Error"):
        text = msg.get(key)
        if text:
            n += len(text) if text.isascii() else 6 * len(text)    # \uXXXX at worst
    return _BASE_BYTES + n


def _packed(messages: List[dict], pack: int, pack_bytes: int, call_bytes: int) -> List[List[dict]]:
    """The messages as queue calls (lists of queue messages): batches of up to `pack` messages
    and about `pack_bytes` bytes, up to about `call_bytes` a call; a larger message alone."""
    calls: List[List[dict]] = []
    call: List[dict] = []
    call_size = 0
    batch: List[dict] = []
    batch_size = 0

    def close_batch() -> None:
        nonlocal batch, batch_size, call, call_size
        if not batch:
            return
        if call and (call_size + batch_size > call_bytes or len(call) == 10):
            calls.append(call)
            call, call_size = [], 0
        call.append(batch[0] if len(batch) == 1 else {"Type": session_log.BATCH, "Events": batch})
        call_size += batch_size
        batch, batch_size = [], 0

    for msg in messages:
        size = _size(msg)
        if batch and (len(batch) >= pack or batch_size + size > pack_bytes):
            close_batch()
        batch.append(msg)
        batch_size += size
    close_batch()
    if call:
        calls.append(call)
    return calls


def _transcript(text: str, action: int, result, error: str) -> bytes:
    lines = text.replace("\r\n", "\n").split("\n")
    out = "mysql> " + "\r\n    -> ".join(lines) + "\r\n"
    if action == commands.REFUSED:
        out += f"Guardzone: statement {error}\r\n"
    elif error:
        out += error + "\r\n"
    elif result is not None:
        out += (f"{result.rows} rows in set\r\n" if result.result_set else f"Query OK, {result.affected} rows affected\r\n")
    return (out + "\r\n").encode("utf-8", "replace")


class Connection:
    """One client connection: handshake, login, target, then the command loop."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.client = p.Packets(reader)
        peer = writer.get_extra_info("peername") or ("", 0)
        self.login = Login(peer=peer[0])
        self.caps = 0
        self.target: Optional[db_target.Target] = None
        self.target_packets: Optional[p.Packets] = None
        self.buffer = bytearray()       # bytes read from the target and not relayed yet
        self.commands_buffer = bytearray()      # bytes read from the client: the next command(s)
        self.sid = str(uuid.uuid4())
        self.statements: Optional[Statements] = None
        self.judge: Optional[sql_policy.SqlSession] = None
        self.prepared: Dict[int, Tuple[str, int, sql_policy.Verdict]] = {}
        self.types: Dict[int, Optional[list]] = {}
        self.long_data: Dict[int, Dict[int, bytes]] = {}
        self.multi = False
        self.status = ENDED

    def close(self) -> None:
        self.writer.close()
        if self.target is not None:
            self.target.writer.close()

    def send(self, payload: bytes, seq: int) -> None:
        self.writer.write(p.frame(payload, seq))

    async def serve(self) -> None:
        _open.add(self)
        try:
            grant, hello = await asyncio.wait_for(self.handshake(), login_timeout())
        except (asyncio.TimeoutError, EOFError, ConnectionError, p.ProtocolError):
            self.writer.close()
            return
        except (db_login.Refused, Denied) as exc:
            reason = exc.message if isinstance(exc, (db_login.Refused, Denied)) else str(exc)
            code = 1045 if getattr(exc, "reason", "") in ("unknown_user", "bad_password", "bad_totp") else 1044
            self.send(p.err_packet(code, "28000", f"Access denied: {reason}"), self.client.seq + 1)
            await self._drain()
            self.writer.close()
            return
        started = time.time()
        rec = recording.Recording(grant.owner, self.sid, 120, 40, term="mysql",
                                  title=f"{self.login.name.user}/{self.login.name.account}/{self.login.name.host}")
        self.statements = Statements(grant, self.sid, started, self.login.peer, rec)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sessions.start, grant.owner,
                                   commands.session_info(grant, self.login.peer, self.sid, started, "MySQL", 4))
        try:
            await self.commands()
        except (EOFError, ConnectionError, p.ProtocolError, OSError) as exc:
            if not isinstance(exc, EOFError):
                self.status = FAILED
        except Exception:
            log.exception("MySQL session %s ended by an error", self.sid)
            self.status = FAILED
        finally:
            self.close()
            await self.finish()

    async def _drain(self) -> None:
        try:
            await self.writer.drain()
        except ConnectionError:
            pass

    async def handshake(self) -> Tuple[Grant, p.ClientHello]:
        salt = p.scramble()
        self.send(p.handshake_v10(server_version(), next(_ids), salt), 0)
        await self.writer.drain()
        payload, _ = await self.client.read()
        hello = p.parse_client_hello(payload)
        if hello.ssl_request:
            raise p.ProtocolError("TLS to the proxy is not offered")
        self.caps = hello.capabilities & p.OFFERED
        seq = self.client.seq

        async def ask_clear() -> bytes:
            nonlocal seq
            self.send(p.auth_switch(p.CLEAR, b""), seq + 1)
            await self.writer.drain()
            answer, _ = await self.client.read()
            seq = self.client.seq
            return answer

        grant = await db_login.authenticate(self.login, hello.user, hello.plugin, hello.auth, salt, ask_clear)
        try:
            self.target = await db_target.connect(grant, self.caps, hello.database, hello.charset)
        except Denied as exc:
            await asyncio.get_running_loop().run_in_executor(None, self.login.event, 2, exc.reason)
            raise
        self.target_packets = p.Packets(self.target.reader)
        self.judge = sql_policy.SqlSession(sql_policy.rules_from_grant(grant), database=hello.database)
        self.multi = bool(self.caps & p.MULTI_STATEMENTS)
        self.send(p.ok_packet(status=self.target.status), seq + 1)
        await self.writer.drain()
        return grant, hello

    # ---- the command phase ----
    async def commands(self) -> None:
        loop = asyncio.get_running_loop()
        policy = await loop.run_in_executor(None, db_login.credentials.policy, self.statements.publisher.base["AccountId"])
        idle = max(60, int(policy.idle_minutes * 60))
        # the login policy's idle timeout: one timer that looks at the last command, rather than a
        # timeout (a task) around each read
        self.active, self.busy = loop.time(), False

        def watch() -> None:
            left = self.active + idle - loop.time()
            if self.busy or left > 0:
                self.watchdog = loop.call_later(max(left, 1.0), watch)
            elif self.status == ENDED:
                self.status = FORCED
                self.close()
        self.watchdog = loop.call_later(idle, watch)
        try:
            await self._command_loop()
        except EOFError:
            if self.status != FORCED:
                raise
        finally:
            self.watchdog.cancel()

    async def _command_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            payload, raw = await self._read_command()
            if not payload:
                continue
            self.busy = True
            cmd = payload[0]
            handler = _HANDLERS.get(cmd)
            if handler is None:
                self.send(p.err_packet(1047, "08S01", "Guardzone: this command is not relayed by the bastion"), 1)
                await self.writer.drain()
                self.busy = False
                continue
            if await handler(self, payload, raw) is False:
                return
            self.active, self.busy = loop.time(), False

    async def _read_command(self) -> Tuple[bytes, bytes]:
        """The client's next command: (payload, raw packets), cut from whole reads (a command
        usually comes in one) rather than an awaited read for each header and body."""
        buf = self.commands_buffer
        while True:
            end, parts = 0, []
            while len(buf) - end >= 4:
                n = buf[end] | buf[end + 1] << 8 | buf[end + 2] << 16
                if len(buf) - end - 4 < n:
                    break
                parts.append((end + 4, end + 4 + n))
                end += 4 + n
                if n < p.MAX_PACKET:
                    raw = bytes(buf[:end])
                    del buf[:end]
                    if len(parts) == 1:
                        return raw[4:], raw
                    return b"".join(raw[a:b] for a, b in parts), raw
            try:
                chunk = await self.reader.read(READ_BYTES)
            except ConnectionError as exc:
                raise EOFError from exc
            if not chunk:
                raise EOFError("the client closed the connection")
            buf += chunk

    async def refuse(self, verdict: sql_policy.Verdict) -> None:
        self.send(p.err_packet(sql_policy.ERROR_CODE, sql_policy.SQLSTATE,
                               f"Guardzone: statement {verdict.message}"), 1)
        await self.writer.drain()

    async def relay(self, raw: bytes, kind: Optional[str]) -> Optional[r.Response]:
        """The command to the target, and its response (if it has one) back to the client."""
        self.target.writer.write(raw)
        await self.target.writer.drain()
        if kind is None:
            return None
        response = r.Response(kind, bool(self.caps & p.DEPRECATE_EOF))
        buf = self.buffer
        reader, writer = self.target.reader, self.writer
        at = 0                 # the next packet's header in buf
        continued = False      # the packet at `at` continues a payload
        while True:
            while not response.done and len(buf) - at >= 4:
                if response.state == "rows" and not continued:
                    # rows: counted off their headers in a tight loop; a packet that may end the
                    # result set (0xFE, 0xFF) or spans several goes to response.feed below
                    end, rows = len(buf), 0
                    while end - at >= 5:
                        n = buf[at] | buf[at + 1] << 8 | buf[at + 2] << 16
                        if end - at - 4 < n or n >= p.MAX_PACKET or buf[at + 4] >= 0xFE:
                            break
                        rows += 1
                        at += 4 + n
                    if rows:
                        response.results[-1].rows += rows
                    if len(buf) - at < 4:
                        break
                n = buf[at] | buf[at + 1] << 8 | buf[at + 2] << 16
                if len(buf) - at - 4 < n:
                    break
                if not continued:
                    # a row needs no more than its first byte read
                    row = response.state == "rows" and n > 64 and buf[at + 4] not in (0xFE, 0xFF)
                    response.feed(bytes(buf[at + 4:at + 4 + (1 if row else n)]))
                continued = n == p.MAX_PACKET
                at += 4 + n
            if at:
                writer.write(bytes(buf[:at]))
                del buf[:at]
                at = 0
            if response.done:
                await writer.drain()
                return response
            await writer.drain()
            chunk = await reader.read(READ_BYTES)
            if not chunk:
                raise EOFError("the target closed the connection")
            buf += chunk

    def record(self, items) -> None:
        self.statements.record(items)

    async def finish(self) -> None:
        if self.statements is None:
            return
        loop = asyncio.get_running_loop()
        self.statements.flush()
        info = await loop.run_in_executor(None, self.statements.recording.close)
        # the session's statements on the queue before it ends, waited for here rather than on an
        # executor thread: with the sender behind, ending sessions would hold every executor thread
        # and new logins (which need one) would wait for them
        pending, self.statements.publisher.pending = self.statements.publisher.pending, []
        if pending:
            await asyncio.wait([asyncio.wrap_future(f) for f in pending])
        await loop.run_in_executor(None, lambda: sessions.finish(
            self.statements.publisher.base["AccountId"], self.sid, end_ms=int(time.time() * 1000), status=self.status,
            size=info.size, count=self.statements.count, danger_count=self.statements.dangers,
            record_key=info.key, record_sha256=info.sha256, record_size=info.size))

    # ---- commands ----
    async def on_quit(self, payload: bytes, raw: bytes):
        self.target.writer.write(raw)
        return False

    async def on_query(self, payload: bytes, raw: bytes):
        text = payload[1:].decode("utf-8", "replace")
        verdicts, parts = self.judge.statements(text)
        if len(verdicts) != len(parts):
            verdicts = (verdicts + [verdicts[-1]] * len(parts))[:len(parts)]
        blocked = sql_policy.first_blocked(verdicts)
        if blocked is not None:
            await self.refuse(blocked)
            at = verdicts.index(blocked)
            self.record([(part, commands.REFUSED, None,
                          blocked.message if i == at else f"not run: statement {at + 1} of the query was blocked")
                         for i, part in enumerate(parts)])
            return
        response = await self.relay(raw, r.RESULTS)
        results = response.results
        items = []
        for i, part in enumerate(parts):
            if i < len(results):
                result = results[i]
                if i == len(parts) - 1 and len(results) > len(parts):     # a CALL's several results
                    for extra in results[i + 1:]:
                        result.affected += extra.affected
                        result.rows += extra.rows
                        result.error = result.error or extra.error
                items.append((part, commands.ALLOWED, result, ""))
            else:
                items.append((part, commands.ALLOWED, None, "not run: an earlier statement failed"))
        self.record(items)

    async def on_init_db(self, payload: bytes, raw: bytes):
        name = payload[1:].decode("utf-8", "replace")
        text = f"USE `{name.replace('`', '``')}`"
        (verdict,) = self.judge.query(text)[:1]
        if verdict.blocked:
            await self.refuse(verdict)
            self.record([(text, commands.REFUSED, None, verdict.message)])
            return
        response = await self.relay(raw, r.SINGLE)
        if response.results and response.results[0].error is None:
            self.judge.init_db(name)
        self.record([(text, commands.ALLOWED, response.results[0] if response.results else None, "")])

    async def on_field_list(self, payload: bytes, raw: bytes):
        table, at = p.read_nul(payload, 1)
        text = f"SHOW COLUMNS FROM `{table.decode('utf-8', 'replace').replace('`', '``')}`"
        verdict = self.judge.query(text)[0]
        if verdict.blocked:
            await self.refuse(verdict)
            self.record([(text, commands.REFUSED, None, verdict.message)])
            return
        response = await self.relay(raw, r.FIELDS)
        self.record([(text, commands.ALLOWED, response.results[0] if response.results else None, "")])

    async def on_prepare(self, payload: bytes, raw: bytes):
        text = payload[1:].decode("utf-8", "replace")
        verdict = self.judge.prepare(text)
        if verdict.blocked:
            await self.refuse(verdict)
            self.record([(text, commands.REFUSED, None, verdict.message)])
            return
        response = await self.relay(raw, r.PREPARE)
        result = response.results[0] if response.results else None
        if result is not None and result.error is None:
            self.judge.prepared(response.stmt_id, verdict)
            self.prepared[response.stmt_id] = (text, response.params, verdict)
            self.types[response.stmt_id] = None
        elif result is not None:
            self.record([(text, commands.ALLOWED, result, "")])

    async def on_execute(self, payload: bytes, raw: bytes):
        stmt_id = struct.unpack_from("<I", payload, 1)[0] if len(payload) >= 5 else -1
        known = self.prepared.get(stmt_id)
        verdict = self.judge.execute(stmt_id)
        text = known[0] if known else f"EXECUTE statement {stmt_id}"
        if known:
            try:
                values, self.types[stmt_id] = p.execute_parameters(payload, known[1], self.types.get(stmt_id),
                                                                   self.long_data.get(stmt_id, {}))
            except (IndexError, struct.error, p.ProtocolError):
                values = ["?"] * known[1]
            if values:
                text = f"{text} -- parameters: ({', '.join(values)})"
        self.long_data.pop(stmt_id, None)
        if verdict.blocked:
            await self.refuse(verdict)
            self.record([(text, commands.REFUSED, None, verdict.message)])
            return
        response = await self.relay(raw, r.RESULTS)
        result = response.results[0] if response.results else None
        for extra in response.results[1:]:
            result.affected += extra.affected
            result.rows += extra.rows
            result.error = result.error or extra.error
        self.record([(text, commands.ALLOWED, result, "")])

    async def on_long_data(self, payload: bytes, raw: bytes):
        if len(payload) >= 7:
            stmt_id, param = struct.unpack_from("<IH", payload, 1)
            held = self.long_data.setdefault(stmt_id, {})
            held[param] = held.get(param, b"") + payload[7:]
        await self.relay(raw, None)

    async def on_close(self, payload: bytes, raw: bytes):
        if len(payload) >= 5:
            stmt_id = struct.unpack_from("<I", payload, 1)[0]
            self.judge.close(stmt_id)
            for held in (self.prepared, self.types, self.long_data):
                held.pop(stmt_id, None)
        await self.relay(raw, None)

    async def on_reset(self, payload: bytes, raw: bytes):
        if len(payload) >= 5:
            self.long_data.pop(struct.unpack_from("<I", payload, 1)[0], None)
        await self.relay(raw, r.SINGLE)

    async def on_set_option(self, payload: bytes, raw: bytes):
        response = await self.relay(raw, r.SINGLE)
        if len(payload) >= 3 and response.results and response.results[0].error is None:
            self.multi = struct.unpack_from("<H", payload, 1)[0] == 0

    async def on_kill(self, payload: bytes, raw: bytes):
        text = f"KILL {struct.unpack_from('<I', payload, 1)[0]}" if len(payload) >= 5 else "KILL"
        verdict = self.judge.query(text)[0]
        if verdict.blocked:
            await self.refuse(verdict)
            self.record([(text, commands.REFUSED, None, verdict.message)])
            return
        response = await self.relay(raw, r.SINGLE)
        self.record([(text, commands.ALLOWED, response.results[0] if response.results else None, "")])

    async def on_single(self, payload: bytes, raw: bytes):
        await self.relay(raw, r.SINGLE)

    async def on_statistics(self, payload: bytes, raw: bytes):
        await self.relay(raw, r.SINGLE)

    async def on_process_info(self, payload: bytes, raw: bytes):
        await self.relay(raw, r.RESULTS)

    async def on_fetch(self, payload: bytes, raw: bytes):
        await self.relay(raw, r.ROWS)

    async def on_reset_connection(self, payload: bytes, raw: bytes):
        response = await self.relay(raw, r.SINGLE)
        if response.results and response.results[0].error is None:
            for held in (self.prepared, self.types, self.long_data):
                held.clear()


_HANDLERS = {
    p.COM_QUIT: Connection.on_quit, p.COM_QUERY: Connection.on_query, p.COM_INIT_DB: Connection.on_init_db,
    p.COM_FIELD_LIST: Connection.on_field_list, p.COM_STMT_PREPARE: Connection.on_prepare,
    p.COM_STMT_EXECUTE: Connection.on_execute, p.COM_STMT_SEND_LONG_DATA: Connection.on_long_data,
    p.COM_STMT_CLOSE: Connection.on_close, p.COM_STMT_RESET: Connection.on_reset,
    p.COM_STMT_FETCH: Connection.on_fetch, p.COM_PING: Connection.on_single, p.COM_SET_OPTION: Connection.on_set_option,
    p.COM_PROCESS_KILL: Connection.on_kill, p.COM_STATISTICS: Connection.on_statistics,
    p.COM_PROCESS_INFO: Connection.on_process_info, p.COM_RESET_CONNECTION: Connection.on_reset_connection,
    p.COM_DEBUG: Connection.on_single,
}


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        import socket
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    await Connection(reader, writer).serve()


async def start_server(host: str, port: int) -> asyncio.AbstractServer:
    return await asyncio.start_server(_handle, host, port, limit=READ_BYTES)
