"""The SSH gateway: an asyncssh server that logs operators in (login_flow.py), then relays each
session (shell or exec, PTY, window changes, signals, exit status) to the target over the one
target connection the login opened, recording it as it goes.

Per session: the output (and, where an ACL's AllowKeyboardLogger says so, the input) goes to an
asciicast v2 recording streamed to S3 (layers/bastion/recording.py); each command line the
shell received, rebuilt from the terminal (layers/bastion/terminal.py), goes with its offset in
the recording to the session-log queue (commands.py); the session itself is live in the bastion
store while it runs and indexed when it ends (layers/bastion/sessions.py). Agent forwarding, port
forwarding and X11 are refused unless GZ_SSH_ALLOW_FORWARDING=1.
"""
import asyncio
import logging
import os
import re
import time
import uuid
import weakref
from typing import List, Optional

import asyncssh

from layers.bastion import login as credentials
from layers.bastion import bash_syntax, file_policy, key_settings, recording, sessions, shell_commands, terminal, zmodem
from layers.bastion.command_policy import Decision
from layers.bastion.heredoc_body import HeredocBody
from layers.bastion.ssh import (command_gate, commands, file_log, files, packet_path, screen_trust, script_input, target,
                                typed_line)
from layers.bastion.ssh.login_flow import Login, LoginFlow

log = logging.getLogger("guardzone.bastion.gateway")
READ_BYTES = 256 * 1024
# The terminal emulator that rebuilds command lines plays ~1 MB/s of output; a screenful is a few
# KB. Output is played when a keystroke (or a short chunk: an echo) comes, and of a long run of it
# only the last TRACK_KEEP bytes, with the modes the rest switched on or
# off, so that `cat` of a big file or a flood of keys costs the relay little and the next
# prompt's line is still read right.
TRACK_BYTES, TRACK_KEEP, ECHO_BYTES, ECHO_HEAD = 512 * 1024, 32 * 1024, 1024, 16 * 1024
_MODES = re.compile(rb"\x1b\[\?(1049|1047|47|2004)([hl])")
ENDED, FORCED, FAILED = 2, 3, 4        # SessionResult.Status
COUNTS_EVERY = 5.0                      # s: how often a session's command counts are kept


def forwarding_allowed() -> bool:
    return os.environ.get("GZ_SSH_ALLOW_FORWARDING", "") == "1"


# What the gateway offers operators' clients: AES (GCM, then CTR) only. With AES-NI it costs a
# quarter of what chacha20-poly1305 costs in asyncssh per packet, and the server cannot reorder a
# client's preference (most put chacha20 first), only leave it out; every SSH client in use speaks
# AES-CTR. GZ_SSH_CIPHERS (comma-separated) replaces the list.
CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr")


def ciphers() -> tuple:
    given = tuple(c.strip() for c in os.environ.get("GZ_SSH_CIPHERS", "").split(",") if c.strip())
    return given or CIPHERS


def login_timeout() -> float:
    """Seconds a client has from connecting to being logged in (GZ_SSH_LOGIN_TIMEOUT, default 60):
    one that stalls mid-handshake is disconnected then."""
    try:
        return max(1.0, float(os.environ.get("GZ_SSH_LOGIN_TIMEOUT") or 60))
    except ValueError:
        return 60.0


_open = weakref.WeakSet()      # the connections of this process, for close_connections()


def close_connections() -> None:
    """Close every client connection (on the event loop): their sessions end as the target's would."""
    for conn in list(_open):
        conn.close()


class GatewayServer(asyncssh.SSHServer):
    """One per client connection."""

    def __init__(self) -> None:
        self.conn: Optional[asyncssh.SSHServerConnection] = None
        self.login: Optional[Login] = None
        self.flow: Optional[LoginFlow] = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        _open.add(conn)
        peer = conn.get_extra_info("peername") or ("", 0)
        self.login = Login(peer=peer[0])
        self.flow = LoginFlow(self.login)
        # A public key is a first factor only: once its signature is verified the client is told
        # "not yet", and keyboard-interactive then asks for the code alone.
        verify = conn.validate_public_key

        async def first_factor(username, key_data, msg, signature) -> bool:
            proven = await verify(username, key_data, msg, signature)
            if proven and msg:
                self.login.key_verified = True
                return False
            return proven
        conn.validate_public_key = first_factor

    def session_requested(self):
        # a process as process_factory would make, that also takes the sftp subsystem (files.py)
        return files.FileProcess(handle_process)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        target_conn = self.login.target_conn if self.login else None
        if target_conn is not None:
            target_conn.close()

    def begin_auth(self, username: str) -> bool:
        return True

    # Once refused, no method is offered any more: the client stops instead of trying again.
    def password_auth_supported(self) -> bool:
        return self.login.step != "denied"

    def kbdint_auth_supported(self) -> bool:
        return self.login.step != "denied"

    def public_key_auth_supported(self) -> bool:
        return self.login.step == "password" and not self.login.key_verified

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        """Whether the key is one of the bastion user's (its signature is checked after)."""
        if self.login.name is None and self.login.refused is None:
            await self.flow.run(self.login.resolve, username)
        if self.login.refused or self.login.user is None:
            return False
        try:
            await self.flow.run(lambda: credentials.check_public_key(
                self.login.owner, self.login.user["UserName"], key, source_ip=self.login.peer))
        except credentials.LoginRefused:
            return False
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        """The plain password method: an access string, or an OAuth user's one-time credential
        (a password needs its code, which only keyboard-interactive can ask for)."""
        if self.login.name is None and self.login.refused is None:
            await self.flow.run(self.login.resolve, username)
        if self.login.refused or self.login.user is None:
            return False
        try:
            await self.flow.run(credentials.check_source, self.login.owner, self.login.peer)
        except credentials.LoginRefused as exc:
            await self.flow.fail(exc.reason, str(exc))
            return False
        if not (await self.flow.one_time_credential(password) or await self.flow.access_string(password)):
            return False
        result = await self.flow.open_target()
        return result is True

    async def get_kbdint_challenge(self, username: str, lang: str, submethods: str):
        if self.login.step != "password":
            return await self.flow.answer([])
        return await self.flow.first(username)

    async def validate_kbdint_response(self, username: str, responses):
        return await self.flow.answer(list(responses))

    # forwarding: refused unless allowed
    def connection_requested(self, dest_host, dest_port, orig_host, orig_port):
        return forwarding_allowed()

    def server_requested(self, listen_host, listen_port):
        return forwarding_allowed()


class Session:
    """One channel's relay to the target, with its recording and command audit.

    `process` is the operator's side: an SSH channel (asyncssh's SSHServerProcess), or the
    console's H5 terminal (web_terminal.WebProcess, which offers the calls used here: command,
    env, get_terminal_size/type, stdin.read raising TerminalSizeChanged, stdout/stderr write and
    drain, exit, exit_with_signal). `protocol` is the session's Protocol in SearchSession."""

    def __init__(self, process: asyncssh.SSHServerProcess, login: Login, protocol: str = "SSH") -> None:
        self.process = process
        self.login = login
        self.protocol = protocol
        self.grant = login.grant
        self.sid = str(uuid.uuid4())
        self.started = time.time()
        self.last_input = time.monotonic()
        self.status = ENDED
        size = process.get_terminal_size() or (80, 24, 0, 0)
        self.width, self.height = (size[0] or 80), (size[1] or 24)
        self.size = (self.width, self.height) + tuple(size[2:4])     # the operator's window, pixels too
        self.recording = recording.Recording(self.grant.owner, self.sid, self.width, self.height,
                                             keyboard=self.grant.keyboard_logger,
                                             term=process.get_terminal_type() or "xterm",
                                             title=f"{login.name.user}/{login.name.account}/{login.name.host}")
        self.tracker = terminal.LineTracker(self.width, self.height)
        self.unseen = bytearray()       # output the tracker has not played yet
        self.commands = commands.Publisher(self.grant, self.sid, self.started, login.peer)
        self.count = self.dangers = 0
        self.policy = command_gate.policy_for(self.grant)     # None: nothing to block, keys go straight
        # Keys at a terminal (a shell, or a command run with one: `ssh -t host bash`) are read off
        # its screen and judged. Without a terminal, the input of a shell (`ssh -T host`, `ssh host
        # bash < f`) is a script: its lines are commands as they stand. Any other command without
        # a terminal takes the client's bytes as data.
        self.interactive = bool(process.get_terminal_type())
        reads_script = not self.interactive and (
            not process.command or shell_commands.reads_session_input(process.command))
        self.script = script_input.ScriptInput(self.policy, editor=bool(process.command) and shell_commands.edits_session_input(
            process.command)) if reads_script else None
        self.typed = typed_line.TypedLine() if self.policy and self.interactive else None
        # The text of a construct the shell holds open, waiting for more lines (command_gate), each
        # way it may hold it: after a Ctrl-C the shell may have abandoned it or not (with `stty
        # intr undef` it is only a character, and a prompt on the screen can be printed by anyone),
        # so the next line is judged both alone and with it.
        self.held: List[str] = []
        self.body: Optional[HeredocBody] = None     # ... for a here-document's delimiter, as bash says
        self.last_key = 0                         # the last byte sent
        self.screen = screen_trust.ScreenTrust(self.tracker)
        self.interrupted: Optional[tuple] = None  # after a Ctrl-C to a line: (row, at a prompt, when) (settle)
        self.last_output = 0.0
        self.output_seen = asyncio.Event()
        self.zmodem = zmodem.ZmodemWatch()     # rz/sz in the stream, under AllowShellFileUp/Down
        self.files = file_policy.FilePolicy.of(self.grant.acls)
        self.file_log = file_log.FileLog(self.grant, self.sid, self.started, login.peer, "RZSZ")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sessions.start, self.grant.owner,
                                   commands.session_info(self.grant, self.login.peer, self.sid, self.started, self.protocol, 1))
        process = self.process
        if process.command and self.policy is not None:
            decision = await command_gate.judged(self.policy.check_whole, process.command)
            if not decision.allowed:
                self.status = ENDED
                self.refused(process.command, 0)
                process.stderr.write(f"Guardzone: command blocked: {decision.message}\r\n".encode())
                process.exit(126)
                await self.finish()
                return
            if self.typed is not None:
                self.keys_may_change(decision.keys)     # (`ssh -t host 'stty erase q; bash'`)
        try:
            remote = await self.login.target_conn.create_process(
                process.command, term_type=process.get_terminal_type(), term_size=process.get_terminal_size(),
                encoding=None, env=_passed_env(process.env) if process.get_terminal_type() else None,
                **target.CHANNEL)
        except (OSError, asyncssh.Error) as exc:
            self.status = FAILED
            process.stderr.write(f"Guardzone: the target refused the session ({type(exc).__name__})\r\n".encode())
            process.exit(255)
            await self.finish()
            return
        if process.command:
            self.command_lines([terminal.CommandLine(process.command, 0)])
        idle = asyncio.ensure_future(self.idle_watch(remote))
        counts = asyncio.ensure_future(self.keep_counts())
        keys = asyncio.ensure_future(self.upstream(remote))
        try:
            # the session ends when the target's side does; the operator's input may never end
            await asyncio.gather(self.downstream(remote.stdout, process.stdout, remote),
                                 self.downstream(remote.stderr, process.stderr, remote))
            await remote.wait_closed()
        except (OSError, asyncssh.Error):
            self.status = FAILED
        finally:
            idle.cancel()
            counts.cancel()
            keys.cancel()
        target.pass_exit(process, remote)
        await self.finish()

    async def upstream(self, remote: asyncssh.SSHClientProcess) -> None:
        """Operator -> target: keystrokes, window changes, signals, end of input."""
        stdin = self.process.stdin
        while True:
            try:
                data = await stdin.read(READ_BYTES)
            except asyncssh.TerminalSizeChanged as exc:
                remote.change_terminal_size(exc.width, exc.height, exc.pixwidth, exc.pixheight)
                self.size = (exc.width, exc.height, exc.pixwidth, exc.pixheight)
                self.recording.resize(exc.width, exc.height)
                self.catch_up()
                self.tracker.resize(exc.width, exc.height)
                continue
            except asyncssh.SignalReceived as exc:
                remote.send_signal(exc.signal)
                self.interrupting()         # (a shell may abandon what it holds, as on a Ctrl-C)
                continue
            except asyncssh.BreakReceived as exc:
                remote.send_break(exc.msec)
                self.interrupting()
                continue
            if not data:
                if self.script is not None:
                    await self.script_lines(remote, b"", end=True)        # a last line without its newline
                if self.script is None or not self.script.ended:    # (a refused line ended it already)
                    remote.stdin.write_eof()
                return
            self.last_input = time.monotonic()
            kept = self.transfer(self.zmodem.input(data), data, remote)
            data = data if kept is None else kept
            if self.interactive:
                await self.keys(remote, data)
            elif self.script is not None:
                await self.script_lines(remote, data)
            else:
                self.recording.input(data)
                remote.stdin.write(data)
            await remote.stdin.drain()

    async def keys(self, remote: asyncssh.SSHClientProcess, data: bytes) -> None:
        """A terminal session's keys to the target: each Ctrl-C taken by the shell before the keys
        after it go (settle); with a policy, each Enter held until its line is judged (gated)."""
        start = 0
        while start < len(data):
            end = data.find(b"\x03", start) + 1 or len(data)
            await self.settle()
            if self.policy is None:
                self.send(remote, data[start:end])
            elif not await self.gated(remote, data[start:end]):
                return
            start = end

    async def script_lines(self, remote: asyncssh.SSHClientProcess, data: bytes, end: bool = False) -> None:
        """A shell's input without a terminal (script_input): its lines recorded and judged as
        they go (in command_gate's threads, like a terminal's); a refused one reported on stderr
        and the shell's input ended there."""
        lines, refused = await command_gate.judged(self.script.feed, data, end)
        for text, raw in lines:
            if text.strip():
                self.command_lines([terminal.CommandLine(text, self.recording.offset_ms())])
            self.recording.input(raw)
            remote.stdin.write(raw)
        if refused is not None:
            text, decision = refused
            self.process.stderr.write(f"Guardzone: command blocked: {decision.message}\n".encode())
            self.refused(text, self.recording.offset_ms())
            remote.stdin.write_eof()

    def send(self, remote: asyncssh.SSHClientProcess, data: bytes) -> None:
        """Keys to a terminal session's target, recorded and tracked on the way."""
        if data:
            self.recording.input(data)
            self.catch_up()
            if self.typed is not None and not self.tracker.typing and self.tracker.keys_are_commands():
                # a line begins: the shell is told the operator's window size again, should a
                # command have changed it (`stty cols 200`), so it draws the line for the screen
                # the gate reads (the kernel signals nothing where the size is the same)
                remote.change_terminal_size(*self.size)
            self.command_lines(self.tracker.input(data, self.recording.offset_ms()))
            if self.typed is not None:
                self.typed.feed(data, editor=self.tracker.editing)
            remote.stdin.write(data)
            self.last_key = data[-1]
            self.screen.key_sent(asyncio.get_running_loop().time())
            if data.endswith(b"\x03"):
                self.interrupting()

    def interrupting(self) -> None:
        """A Ctrl-C, a signal or a break went to a terminal session: before the next keys, settle()
        waits for the shell to take it and decides what it still holds."""
        if self.interactive and not self.tracker.full_screen:
            self.interrupted = (self.tracker.row, self.tracker.at_prompt, asyncio.get_running_loop().time())

    async def gated(self, remote: asyncssh.SSHClientProcess, data: bytes) -> bool:
        """send(), each Enter that would run a line held until the line is allowed; False if one
        was refused (the rest of `data` is dropped)."""
        start = 0
        for m in command_gate.HELD.finditer(data):
            at = m.start()
            self.send(remote, data[start:at])
            start = at
            key = command_gate.UNHELD_KEYS.get((self.last_key, data[at]))
            if key is not None and self.tracker.keys_are_commands():
                await self.drawn(readable=False)       # the line as the shell shows it, for the record
                name, why = key
                self.refuse(remote, f"{self.tracker.pending()} [{name}]", Decision(False, "key", rule=f"{name}: {why}"))
                return False
            if data[at] == 0x04:
                if self.held and self.tracker.keys_are_commands():
                    await self.drawn(readable=False)
                    if not self.tracker.pending().strip():
                        self.refuse(remote, f"{max(self.held, key=len)} [Ctrl-D]", command_gate.CTRL_D)
                        return False
                continue
            if data[at] not in b"\r\n\x0f" or not self.tracker.enters(data[at]):
                continue
            text, decision = await self.judge()
            self.screen.line_entered()
            if decision is not None:
                self.refuse(remote, text, decision)
                return False
        self.send(remote, data[start:])
        return True

    async def settle(self) -> None:
        """After a Ctrl-C to a line, wait until the shell has taken it (see command_gate)."""
        if self.interrupted is None:
            return
        row, at_prompt, since = self.interrupted
        tracker = self.tracker

        def taken(now: float) -> bool:
            if tracker.full_screen:
                return True
            if at_prompt:
                return tracker.prompted_below(row)
            return self.last_output > since and now - self.last_output >= command_gate.SETTLE_QUIET

        await self.watch(taken, since + command_gate.SETTLE_WAIT, command_gate.SETTLE_QUIET)
        self.interrupted = None
        if self.held:
            # a construct held open: abandoned if a fresh prompt shows, else perhaps not (a Ctrl-C
            # that `stty intr undef` made a character, a shell slow to take it): both kept
            fresh = tracker.full_screen or at_prompt and tracker.prompted_below(row)
            self.held, self.body = ([] if fresh else _unique(self.held + [""])), None

    async def drawn(self, readable: bool = True) -> None:
        """Wait until the echo of the keys sent has come and the screen is quiet (ECHO_WAIT at most);
        `readable`: where the line is edited (not plain keys) but shows nothing yet, SETTLE_WAIT."""
        start = asyncio.get_running_loop().time()

        def done(now: float) -> bool:
            echoed = not self.tracker.echo_due and now - self.last_output >= command_gate.QUIET
            return (echoed or now >= start + command_gate.ECHO_WAIT) and (
                not readable or self.typed.text() is not None or bool(self.tracker.pending().strip()))

        await self.watch(done, start + (command_gate.SETTLE_WAIT if readable else command_gate.ECHO_WAIT),
                         command_gate.QUIET)

    async def watch(self, done, until: float, step: float) -> None:
        """Play the target's output as it comes until done(now) or the loop's time `until`,
        looking again at least every `step` seconds."""
        loop = asyncio.get_running_loop()
        while True:
            self.catch_up()
            now = loop.time()
            if now >= until or done(now):
                return
            self.output_seen.clear()
            try:
                await asyncio.wait_for(self.output_seen.wait(), min(until - now, step))
            except asyncio.TimeoutError:
                pass

    async def judge(self):
        """(text, decision) of the line an Enter would run now: decision None if it may run. A
        refused line leaves what is held as it was: its Enter never goes, and the Ctrl-C after it
        may or may not be taken (send())."""
        await self.drawn()
        texts = [self.tracker.pending(), self.typed.text()]
        refusal = self.screen.refusal(*texts)
        if refusal is not None:
            return refusal
        if self.body is not None and not self.body.may_end(*(t for t in texts if t is not None)):
            # a line of a here-document's body that cannot end it: text, not commands, to bash
            self.held = [f"{self.held[0]}\n{texts[0]}"]
            return texts[0], None
        held, heredoc, keys = [], False, set()
        for before in self.held or [""]:
            after = ""
            for i, text in enumerate(texts):
                if text is not None and (text.strip() or before):     # (an empty line of a body too)
                    whole = f"{before}\n{text}" if before else text
                    # off the loop (a long paste is long to read): this session's keys wait, as its
                    # upstream does; its output and every other session go on
                    decision = await command_gate.judged(self.policy.check, whole)
                    if not decision.allowed:
                        return whole, decision
                    keys |= decision.keys
                    if i == 0 and decision.incomplete:
                        # the rest of a command typed on the next line (after a backslash, in quotes) goes with it
                        after, heredoc = whole, decision.heredoc
            held.append(after)
        self.held = _unique(held)
        if len(self.held) != 1 or not heredoc:
            self.body = None
        elif self.body is None and bash_syntax.waits_for(self.held[0]) == "here-document":
            # bash too waits for the delimiter alone (once a here-document, ~1 ms): until a line
            # that may be it, what comes is the body, not judged again with all held before it
            self.body = HeredocBody(self.held[0])
        self.keys_may_change(keys)
        return texts[0], None

    def keys_may_change(self, keys) -> None:
        """After a line that may set what keys do (`stty erase q`, `bind`: key_settings), the keys
        tell no line for the rest of the session (typed_line)."""
        self.typed.tty_keys_known &= key_settings.TTY not in keys
        self.typed.editor_keys_known &= key_settings.EDITOR not in keys

    def refuse(self, remote: asyncssh.SSHClientProcess, text: str, decision) -> None:
        notice = f"\r\nGuardzone: command blocked: {decision.message}\r\n".encode()
        self.recording.output(notice)
        self.process.stdout.write(notice)
        self.send(remote, b"\x03")
        self.refused(text.strip(), self.recording.offset_ms())

    def refused(self, text: str, offset_ms: int) -> None:
        """A refused line: in the session's record (Action 2) and its DangerCount."""
        self.dangers += 1
        self.command_lines([terminal.CommandLine(text, offset_ms)], commands.REFUSED)

    def transfer(self, direction: Optional[str], data: bytes, remote: asyncssh.SSHClientProcess) -> Optional[bytes]:
        """A ZMODEM transfer (rz/sz) starting in this chunk: recorded, and where the ACL forbids it
        cancelled on both sides; then what is left of the chunk to relay (what came before the
        transfer's first header), else None: relay the chunk."""
        if direction is None:
            return None
        method = file_policy.UPLOAD if direction == zmodem.UP else file_policy.DOWNLOAD
        refusal = self.files.shell(direction)
        self.file_log.record(method, "", action=file_policy.REFUSED if refusal else file_policy.ALLOWED)
        if refusal is None:
            return None
        self.zmodem.reset()
        remote.stdin.write(zmodem.ABORT)
        notice = f"\r\nGuardzone: {refusal}\r\n".encode()
        self.recording.output(notice)
        self.process.stdout.write(zmodem.ABORT + notice)
        at = data.find(zmodem.HEADER)
        return data[:at] if at > 0 else b""

    async def downstream(self, source, sink, remote: asyncssh.SSHClientProcess) -> None:
        """Target -> operator: what the operator sees is what is recorded."""
        loop = asyncio.get_running_loop()
        while True:
            data = await source.read(READ_BYTES)
            if not data:
                return
            self.last_output = loop.time()
            self.output_seen.set()
            kept = self.transfer(self.zmodem.output(data), data, remote)
            data = data if kept is None else kept
            self.recording.output(data)
            if self.interactive:
                prompts = self.tracker.prompts
                self.unseen += data
                if len(self.unseen) > TRACK_BYTES:
                    self.trim()
                if len(data) < ECHO_BYTES:
                    self.catch_up()         # an echo: it may complete a line entered before it
                if self.typed is not None:
                    self.screen.output(self.last_output, prompts)
            sink.write(data)
            await sink.drain()

    def catch_up(self) -> None:
        """Play the output the tracker has not seen yet, and take the lines it completed."""
        if len(self.unseen) > TRACK_KEEP:
            self.trim()                         # bounds the work of one call (a flood's echo)
        if self.unseen:
            self.tracker.output(bytes(self.unseen))
            self.unseen.clear()
            self.command_lines(self.tracker.take())

    def trim(self) -> None:
        """Cut the output the tracker has not seen to its tail; where a line entered waits for its
        echo (a line pasted with its Enter, then a flood of output), its head is played first."""
        if self.tracker.awaiting_echo:
            self.tracker.output(bytes(self.unseen[:ECHO_HEAD]))
            del self.unseen[:ECHO_HEAD]
            self.command_lines(self.tracker.take())
        if len(self.unseen) > TRACK_KEEP:
            self.unseen = _tail(self.unseen)

    def command_lines(self, lines, action: int = commands.ALLOWED) -> None:
        if lines:
            self.count += len(lines)
            self.commands.publish(lines, action)

    async def idle_watch(self, remote) -> None:
        loop = asyncio.get_running_loop()
        policy = await loop.run_in_executor(None, credentials.policy, self.grant.owner)
        limit = max(60, int(policy.idle_minutes * 60))
        while True:
            await asyncio.sleep(min(limit, 30))
            if time.monotonic() - self.last_input > limit:
                self.status = FORCED
                self.process.stderr.write(b"\r\nGuardzone: idle for too long; the session is closed\r\n")
                remote.close()
                return

    async def keep_counts(self) -> None:
        """The counts so far onto the live session now and then: a killed gateway's session ends
        with them (infra/ssh_gateway.finish_left_sessions)."""
        loop = asyncio.get_running_loop()
        kept = (0, 0)
        while True:
            await asyncio.sleep(COUNTS_EVERY)
            now = (self.count, self.dangers)
            if now != kept:
                try:
                    await loop.run_in_executor(None, sessions.progress, self.grant.owner, self.sid, *now)
                    kept = now
                except Exception as exc:     # noqa: BLE001 - tried again at the next tick
                    log.warning("session %s: counts not kept yet (%s)", self.sid, type(exc).__name__)

    async def finish(self) -> None:
        if self.interactive:
            self.catch_up()
            self.command_lines(self.tracker.close())
        loop = asyncio.get_running_loop()
        info = await loop.run_in_executor(None, self.recording.close)
        await loop.run_in_executor(None, self.commands.flush)
        await loop.run_in_executor(None, self.file_log.flush)
        await loop.run_in_executor(None, lambda: sessions.finish(
            self.grant.owner, self.sid, end_ms=int(time.time() * 1000), status=self.status, size=info.size,
            count=self.count, danger_count=self.dangers, record_key=info.key, record_sha256=info.sha256,
            record_size=info.size))


def _tail(unseen: bytearray) -> bytearray:
    """The last TRACK_KEEP bytes of the output, after the last setting of each mode the cut part
    changed (alternate screen, bracketed paste)."""
    cut = len(unseen) - TRACK_KEEP
    last = {}
    for m in _MODES.finditer(unseen, 0, cut):
        last[m.group(1)] = m.group(0)
    keep = unseen[cut:]
    # a partial escape sequence at the cut is dropped with the bytes before it
    start = keep.find(b"\n")
    return bytearray(b"".join(last.values())) + keep[start + 1 if 0 <= start < 4096 else 0:]


async def handle_process(process: asyncssh.SSHServerProcess) -> None:
    server = process.channel.get_connection().get_owner()
    login = server.login
    if not login or not login.done or login.target_conn is None:
        process.stderr.write(b"Guardzone: not logged in\r\n")
        process.exit(1)
        return
    try:
        relay = files.relay_for(process, login)     # the SFTP subsystem, or scp: not a terminal session
        await (relay if relay is not None else Session(process, login).run())
    except Exception:
        log.exception("session of %s ended by an error", login.name.user)
        process.exit(255)


# The client's environment a terminal session passes on: the locale's (what sshd's default AcceptEnv
# takes) and harmless display settings. A variable such as PROMPT_COMMAND, PS1, BASH_ENV or
# BASH_FUNC_ls%% would run code in the target's shell that no line typed there shows.
_PASSED_ENV = re.compile(r"LANG|LANGUAGE|LC_[A-Z_]+|TZ|COLORTERM")


def _passed_env(env) -> dict:
    return {k: v for k, v in (env or {}).items() if isinstance(k, str) and _PASSED_ENV.fullmatch(k)}


def _unique(texts: List[str]) -> List[str]:
    """Each way the shell may hold a construct, once; [] where it holds none either way."""
    texts = list(dict.fromkeys(texts))
    return [] if texts == [""] else texts


async def start_server(host: str, port: int, host_key: asyncssh.SSHKey) -> asyncssh.SSHAcceptor:
    packet_path.install()
    allowed = forwarding_allowed()
    return await asyncssh.create_server(
        GatewayServer, host, port, server_host_keys=[host_key],
        encoding=None, line_editor=False, agent_forwarding=allowed, allow_scp=False, x11_forwarding=False,
        login_timeout=login_timeout(), keepalive_interval=30, encryption_algs=ciphers(),
        window=target.WINDOW, max_pktsize=target.PACKET)
