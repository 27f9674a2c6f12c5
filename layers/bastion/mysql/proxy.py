"""The bastion's MySQL proxy: database clients (mysql, MySQL Workbench, Navicat, drivers) connect
to the gateway's MySQL port, log in with bastion credentials (login.py), and the proxy logs in to
the target with the device account's hosted password (target.py), then relays the command phase
packet by packet. Each command the client sends is read before it is passed on: statements are
judged by the ACLs' high-risk templates (layers/bastion/sql_policy.py) and recorded; a blocked one
never reaches the target and the client gets an error packet naming the rule. Responses are
relayed as they come, read only as far as needed to know where they end and what they affected.

The command phase runs off the two connections' callbacks (_Side), not awaited stream reads: a
COM_QUERY is judged and written to the target in the callback that brought it, its response
forwarded in the callbacks that bring it (whole packets as they arrive, the target read no faster
than the client takes them); the other commands run as tasks through the handlers below.

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
from layers.bastion.mysql.link import Link
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
    """The proxy's event loop: uvloop's (less of the loop's own work around each statement's four
    socket calls), or asyncio's where uvloop is missing or GZ_MYSQL_UVLOOP=0."""
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

    def __init__(self, link: Link) -> None:
        self.link = link
        self.client = p.Packets(link)
        peer = link.get_extra_info("peername") or ("", 0)
        self.login = Login(peer=peer[0])
        self.caps = 0
        self.target: Optional[db_target.Target] = None
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
        self.link.close()
        if self.target is not None:
            self.target.link.close()

    def send(self, payload: bytes, seq: int) -> None:
        self.link.write(p.frame(payload, seq))

    async def serve(self) -> None:
        _open.add(self)
        try:
            grant, hello = await asyncio.wait_for(self.handshake(), login_timeout())
        except (asyncio.TimeoutError, EOFError, ConnectionError, p.ProtocolError):
            self.link.close()
            return
        except (db_login.Refused, Denied) as exc:
            reason = exc.message if isinstance(exc, (db_login.Refused, Denied)) else str(exc)
            code = 1045 if getattr(exc, "reason", "") in ("unknown_user", "bad_password", "bad_totp") else 1044
            self.send(p.err_packet(code, "28000", f"Access denied: {reason}"), self.client.seq + 1)
            await self._drain()
            self.link.close()
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
            await self.link.drain()
        except ConnectionError:
            pass

    async def handshake(self) -> Tuple[Grant, p.ClientHello]:
        salt = p.scramble()
        self.send(p.handshake_v10(server_version(), next(_ids), salt), 0)
        await self.link.drain()
        payload, _ = await self.client.read()
        hello = p.parse_client_hello(payload)
        if hello.ssl_request:
            raise p.ProtocolError("TLS to the proxy is not offered")
        self.caps = hello.capabilities & p.OFFERED
        seq = self.client.seq

        async def ask_clear() -> bytes:
            nonlocal seq
            self.send(p.auth_switch(p.CLEAR, b""), seq + 1)
            await self.link.drain()
            answer, _ = await self.client.read()
            seq = self.client.seq
            return answer

        grant = await db_login.authenticate(self.login, hello.user, hello.plugin, hello.auth, salt, ask_clear)
        try:
            self.target = await db_target.connect(grant, self.caps, hello.database, hello.charset)
        except Denied as exc:
            await asyncio.get_running_loop().run_in_executor(None, self.login.event, 2, exc.reason)
            raise
        self.judge = sql_policy.SqlSession(sql_policy.rules_from_grant(grant), database=hello.database)
        self.multi = bool(self.caps & p.MULTI_STATEMENTS)
        self.send(p.ok_packet(status=self.target.status), seq + 1)
        await self.link.drain()
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
        """The command phase, driven by the two connections' callbacks (_Side) rather than by
        awaited reads: a COM_QUERY is judged and passed on as soon as its bytes arrive, and its
        response relayed as its bytes arrive; other commands run as tasks (the handlers below)."""
        loop = asyncio.get_running_loop()
        self.ended = loop.create_future()
        self.pending: Optional[Tuple[r.Response, object]] = None   # the response under way, and what takes it
        self.continued = False          # the target's packet at the head of `buffer` continues a payload
        self.slow: Optional[asyncio.Task] = None
        self.holds: set = set()         # why the client's reads are paused
        self.ct, self.tt = self.link.transport, self.target.link.transport
        # what the login left unread (a client may send its first command at once) comes first
        left, self.client_eof = self.link.attach(_Side(self, True))
        self.commands_buffer += left
        left, target_eof = self.target.link.attach(_Side(self, False))
        self.buffer += left
        if target_eof:
            self._end(EOFError("the target closed the connection"))
        self._next()
        await self.ended

    def _end(self, exc: Optional[BaseException]) -> None:
        """The command phase is over: cleanly (None, or EOFError) or by `exc`."""
        if self.ended.done():
            return
        if exc is None:
            self.ended.set_result(None)
        else:
            self.ended.set_exception(exc)
        pending, self.pending = self.pending, None
        if pending is not None and isinstance(pending[1], asyncio.Future) and not pending[1].done():
            pending[1].set_exception(exc if exc is not None else EOFError())

    def _hold(self, why: str, on: bool) -> None:
        if on and why not in self.holds:
            self.holds.add(why)
            if len(self.holds) == 1:
                self.ct.pause_reading()
        elif not on and why in self.holds:
            self.holds.discard(why)
            if not self.holds and not self.ct.is_closing():
                self.ct.resume_reading()

    def from_client(self, data: bytes) -> None:
        self.commands_buffer += data
        if self.pending is not None or self.slow is not None:
            if len(self.commands_buffer) > READ_BYTES:
                self._hold("buffer", True)       # a client sending ahead waits (TCP pushes back)
            return
        self._next()

    def _next(self) -> None:
        """Take the client's next commands while none is under way."""
        loop = self.ended.get_loop()
        while self.pending is None and self.slow is None and not self.ended.done():
            command = self._cut_command()
            if command is None:
                if self.client_eof:
                    self._end(EOFError("the client closed the connection"))
                else:
                    self._hold("buffer", False)
                return
            payload, raw = command
            if not payload:
                continue
            self.busy = True
            try:
                self._command(payload, raw)
            except Exception as exc:            # noqa: BLE001 - ends the session as a failed read would
                self._end(exc)
                return
            if self.pending is None and self.slow is None:
                self.active, self.busy = loop.time(), False

    def _command(self, payload: bytes, raw: bytes) -> None:
        cmd = payload[0]
        if cmd == p.COM_QUERY:
            self._query(payload, raw)
            return
        handler = _HANDLERS.get(cmd)
        if handler is None:
            self.send(p.err_packet(1047, "08S01", "Guardzone: this command is not relayed by the bastion"), 1)
            return
        self.slow = asyncio.ensure_future(self._run(handler, payload, raw))

    async def _run(self, handler, payload: bytes, raw: bytes) -> None:
        """A command other than COM_QUERY, by its handler."""
        try:
            ended = await handler(self, payload, raw) is False
        except Exception as exc:                # noqa: BLE001 - as the command loop's reads would
            self.slow = None
            self._end(exc)
            return
        self.slow = None
        if ended:
            self._end(None)
            return
        self.active, self.busy = asyncio.get_running_loop().time(), False
        self._next()

    def _cut_command(self) -> Optional[Tuple[bytes, bytes]]:
        """The client's next whole command from what has come: (payload, raw packets), or None."""
        buf = self.commands_buffer
        end, parts = 0, []
        while len(buf) - end >= 4:
            n = buf[end] | buf[end + 1] << 8 | buf[end + 2] << 16
            if len(buf) - end - 4 < n:
                return None
            parts.append((end + 4, end + 4 + n))
            end += 4 + n
            if n < p.MAX_PACKET:
                raw = bytes(buf[:end])
                del buf[:end]
                if len(parts) == 1:
                    return raw[4:], raw
                return b"".join(raw[a:b] for a, b in parts), raw
        return None

    async def refuse(self, verdict: sql_policy.Verdict) -> None:
        self.send(p.err_packet(sql_policy.ERROR_CODE, sql_policy.SQLSTATE,
                               f"Guardzone: statement {verdict.message}"), 1)

    def start_relay(self, raw: bytes, kind: str, then) -> None:
        """The command to the target; its response, as it comes, to the client, and to `then`
        (a callable, or a future) once complete."""
        self.tt.write(raw)
        self.pending = (r.Response(kind, bool(self.caps & p.DEPRECATE_EOF)), then)
        self.continued = False
        if len(self.buffer) >= 4:       # the target sent ahead: taken after this call returns
            self.ended.get_loop().call_soon(self._target_ahead)

    def _target_ahead(self) -> None:
        try:
            self.from_target(b"")
        except Exception as exc:        # noqa: BLE001 - ends the session as a failed read would
            self._end(exc)

    async def relay(self, raw: bytes, kind: Optional[str]) -> Optional[r.Response]:
        """The command to the target, and its response (if it has one) back to the client."""
        if kind is None:
            self.tt.write(raw)
            return None
        done = self.ended.get_loop().create_future()
        self.start_relay(raw, kind, done)
        return await done

    def from_target(self, data: bytes) -> None:
        """The target's bytes: whole packets of the response under way to the client at once,
        read only as far as needed to know where the response ends and what it did."""
        buf = self.buffer
        if data:
            buf += data
        if self.pending is None:
            return
        response = self.pending[0]
        at = 0                 # the next packet's header in buf
        continued = self.continued
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
        self.continued = continued
        if at:
            self.ct.write(bytes(buf[:at]))
            del buf[:at]
        if response.done:
            then = self.pending[1]
            self.pending = None
            if isinstance(then, asyncio.Future):
                if not then.done():
                    then.set_result(response)
            else:
                then(response)
                self.active, self.busy = self.ended.get_loop().time(), False
                self._next()

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
        self.target.link.write(raw)
        return False

    def _query(self, payload: bytes, raw: bytes) -> None:
        """COM_QUERY, at once: judged, refused or passed on; recorded with its outcome."""
        verdicts, parts = self.judge.statements_of(payload[1:])
        blocked = sql_policy.first_blocked(verdicts)
        if blocked is not None:
            self.send(p.err_packet(sql_policy.ERROR_CODE, sql_policy.SQLSTATE,
                                   f"Guardzone: statement {blocked.message}"), 1)
            # (past the statements: blocked in another reading of the whole text, sql_policy.judge)
            at = verdicts.index(blocked) if len(parts) > 1 else 0
            self.record([(part, commands.REFUSED, None,
                          blocked.message if i == at or at >= len(parts)
                          else f"not run: statement {at + 1} of the query was blocked")
                         for i, part in enumerate(parts)])
            self.judge.used(False)
            return
        uses = [i for i, v in enumerate(verdicts[:len(parts)]) if v.kind == "USE"]
        self.start_relay(raw, r.RESULTS, lambda response: self._queried(parts, response, uses))

    def _queried(self, parts: List[str], response: r.Response, uses: List[int]) -> None:
        results = response.results
        if uses:        # the session's database: the last USE's, if the server took it
            self.judge.used(uses[-1] < len(results) and results[uses[-1]].error is None)
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
            self.judge.used(False)
            await self.refuse(verdict)
            self.record([(text, commands.REFUSED, None, verdict.message)])
            return
        response = await self.relay(raw, r.SINGLE)
        self.judge.used(bool(response.results) and response.results[0].error is None)
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
        verdict = self.judge.prepare_of(payload[1:])
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


class _Side(asyncio.Protocol):
    """One of a session's two connections in the command phase (the client's or the target's):
    its bytes to the Connection, and flow control across (the target is read no faster than the
    client takes the results; the client waits while the target's side is full)."""

    def __init__(self, conn: Connection, client: bool) -> None:
        self.conn, self.client = conn, client

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        try:
            conn.from_client(data) if self.client else conn.from_target(data)
        except Exception as exc:        # noqa: BLE001 - ends the session as a failed read would
            conn._end(exc)

    def eof_received(self) -> None:
        return None                     # the transport closes: connection_lost follows

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        conn = self.conn
        if self.client:                 # the statement under way still gets its record
            conn.client_eof = True
            if conn.pending is None and conn.slow is None:
                conn._end(EOFError("the client closed the connection"))
        elif exc is None or isinstance(exc, EOFError):
            conn._end(EOFError("the target closed the connection"))
        else:
            conn._end(exc)

    def pause_writing(self) -> None:
        if self.client:
            self.conn.tt.pause_reading()
        else:
            self.conn._hold("target", True)

    def resume_writing(self) -> None:
        if self.client:
            if not self.conn.tt.is_closing():
                self.conn.tt.resume_reading()
        else:
            self.conn._hold("target", False)


_HANDLERS = {
    p.COM_QUIT: Connection.on_quit, p.COM_INIT_DB: Connection.on_init_db,
    p.COM_FIELD_LIST: Connection.on_field_list, p.COM_STMT_PREPARE: Connection.on_prepare,
    p.COM_STMT_EXECUTE: Connection.on_execute, p.COM_STMT_SEND_LONG_DATA: Connection.on_long_data,
    p.COM_STMT_CLOSE: Connection.on_close, p.COM_STMT_RESET: Connection.on_reset,
    p.COM_STMT_FETCH: Connection.on_fetch, p.COM_PING: Connection.on_single, p.COM_SET_OPTION: Connection.on_set_option,
    p.COM_PROCESS_KILL: Connection.on_kill, p.COM_STATISTICS: Connection.on_statistics,
    p.COM_PROCESS_INFO: Connection.on_process_info, p.COM_RESET_CONNECTION: Connection.on_reset_connection,
    p.COM_DEBUG: Connection.on_single,
}


def _serve(link: Link) -> None:
    task = asyncio.ensure_future(Connection(link).serve())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


_tasks: set = set()         # the sessions' tasks, kept referenced while they run


async def start_server(host: str, port: int) -> asyncio.AbstractServer:
    return await asyncio.get_running_loop().create_server(lambda: Link(on_connected=_serve), host, port)
