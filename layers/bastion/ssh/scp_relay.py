"""Legacy scp (`scp -t PATH`, upload; `scp -f PATH`, download; with -r, -p, -d, -v) relayed to
the target under the grant's file permissions.

The scp protocol is lock-step: the source sends a line — `C<mode> <size> <name>` (a file, its
bytes follow, then a \\0), `D<mode> 0 <name>` (enter a folder), `E` (leave it), `T<mtime> 0
<atime> 0` (times of the next file or folder), or `\\x01`/`\\x02` + message (a warning, a fatal
error) — and waits for the sink's answer: \\0, or a warning or fatal line. The gateway reads the
source's side (the operator's in an upload, the target's in a download); the sink's answers pass
as they are. A file or folder a rule refuses is never passed on: the source is answered with a
warning line naming the rule (OpenSSH's and asyncssh's scp then go on to the next file and exit
1 at the end), and in a download the operator's side gets that warning in place of the file.
  upload    C and D need AllowFileUp, C's size within MaxFileUpSize
  download  C and D need AllowFileDown, C's size within MaxFileDownSize
Every file is recorded (Method 1 upload, 2 download; Protocol "SCP") when its bytes have passed
(Action 1, its size) or when it is refused (Action 2).
"""
import asyncio
import logging
import posixpath
import shlex
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import asyncssh

from layers.bastion import file_policy as fp
from layers.bastion.ssh import target
from layers.bastion.ssh.file_log import FAILED, Transfer
from layers.bastion.ssh.login_flow import Login

log = logging.getLogger("guardzone.bastion.gateway")
READ_BYTES = 256 * 1024
MAX_LINE = 64 * 1024


class ScpError(Exception):
    pass


@dataclass
class Command:
    upload: bool                 # -t (the target is the sink) or -f (the target is the source)
    paths: List[str]
    recursive: bool = False
    directory: bool = False      # -d: the target path must be a folder


def _scp_words(command: Optional[str]) -> List[str]:
    """The words of an exec request that runs scp, else []."""
    try:
        words = shlex.split(command or "")
    except ValueError:
        return []
    return words if words and posixpath.basename(words[0]) == "scp" else []


def server_mode(command: Optional[str]) -> bool:
    """An scp told to be a sink (`-t`) or a source (`-f`), whatever else it is told (where parse()
    says None, options the relay does not follow: the request is refused, not passed on unread)."""
    for word in _scp_words(command)[1:]:
        if word == "--":
            break
        if word.startswith("-") and not word.startswith("--") and ("t" in word[1:] or "f" in word[1:]):
            return True
    return False


def parse(command: Optional[str]) -> Optional[Command]:
    """The scp command of an exec request, or None if it is not scp's remote end."""
    words = _scp_words(command)
    if not words:
        return None
    mode, recursive, directory, paths, options = None, False, False, [], True
    for word in words[1:]:
        if options and word == "--":
            options = False
        elif options and word.startswith("-") and len(word) > 1:
            for flag in word[1:]:
                if flag in "tf":
                    if mode and mode != flag:
                        return None
                    mode = flag
                elif flag == "r":
                    recursive = True
                elif flag == "d":
                    directory = True
                elif flag not in "pvqE":
                    return None
        else:
            paths.append(word)
    if mode is None or not paths:
        return None
    return Command(mode == "t", paths, recursive, directory)


@dataclass
class Source:
    """Parses the source's side of the protocol. `decide(kind, size, path)` says whether a C or D
    line may pass (None) or why not; `began(path)`, `keep(bytes)` and `passed(path, size)` hear
    of a file whose bytes pass."""
    root: str
    is_dir: bool
    emit: Callable[[bytes], None]
    refuse: Callable[[bytes, str, str, Optional[int]], None]
    decide: Callable[[str, Optional[int]], Optional[str]]
    passed: Callable[[str, int], None]
    began: Callable[[str], None]            # a file's bytes begin to pass ...
    keep: Callable[[bytes], None]           # ... and pass
    line: bytearray = field(default_factory=bytearray)
    rest: int = 0               # file bytes still to pass
    status: bool = False        # the \0 (or an error line) after a file's bytes is next
    stack: List[str] = field(default_factory=list)
    current: Optional[tuple] = None

    def path_of(self, name: str) -> str:
        if self.stack:
            return posixpath.join(self.stack[-1], name)
        return posixpath.join(self.root, name) if self.is_dir else self.root

    def feed(self, data: bytes) -> None:
        pos, n = 0, len(data)
        while pos < n:
            if self.rest:
                take = min(self.rest, n - pos)
                chunk = data if take == n else data[pos:pos + take]
                self.emit(chunk)
                self.keep(chunk)
                pos += take
                self.rest -= take
                if not self.rest:
                    self.status = True
                continue
            if self.status and not self.line and data[pos] == 0:
                self.emit(b"\0")
                pos += 1
                self.status = False
                path, size = self.current
                self.passed(path, size)
                continue
            end = data.find(b"\n", pos)
            if end < 0:
                self.line += data[pos:]
                if len(self.line) > MAX_LINE:
                    raise ScpError("scp line too long")
                return
            self.line += data[pos:end + 1]
            pos = end + 1
            line = bytes(self.line)
            self.line.clear()
            self.on_line(line)

    def on_line(self, line: bytes) -> None:
        kind = line[:1]
        if self.status:                     # an error line in place of the \0 after a file
            self.status = False
            self.emit(line)
            return
        if kind in (b"C", b"D"):
            try:
                _mode, size_text, name = line[1:-1].decode("utf-8", "replace").split(" ", 2)
                size = int(size_text)
            except ValueError:
                raise ScpError("bad scp line") from None
            path = self.path_of(name)
            why = self.decide(kind.decode(), size if kind == b"C" else None)
            if why:
                self.refuse(kind, path, why, size if kind == b"C" else None)
                return
            self.emit(line)
            if kind == b"D":
                self.stack.append(path)
            else:
                self.current = (path, size)
                self.rest = size
                self.began(path)
                if not size:
                    self.status = True
            return
        if kind == b"E" and self.stack:
            self.stack.pop()
        self.emit(line)


class ScpRelay(Transfer):
    def __init__(self, process: asyncssh.SSHServerProcess, login: Login, command: Command) -> None:
        super().__init__(process, login, fp.SCP)
        self.command = command
        self.remote: Optional[asyncssh.SSHClientProcess] = None
        self.file = None                # the contents being kept of the file under way

    async def run(self) -> None:
        await self.start()
        process, cmd = self.process, self.command
        try:
            is_dir = await self.target_is_dir()
            self.remote = await self.login.target_conn.create_process(process.command, encoding=None,
                                                                      **target.CHANNEL)
        except (OSError, asyncssh.Error) as exc:
            self.status = FAILED
            process.stderr.write(f"Guardzone: the target refused scp ({type(exc).__name__})\r\n".encode())
            process.exit(255)
            await self.finish()
            return
        remote = self.remote
        if cmd.upload:
            source = Source(cmd.paths[0], is_dir, remote.stdin.write, self.refuse, self.decide, self.passed,
                            self.began, self.keep)
            flows = (self.pump(process.stdin, remote.stdin, source.feed, eof=True),
                     self.pump(remote.stdout, process.stdout, None))
        else:
            root = posixpath.dirname(cmd.paths[0].rstrip("/")) or ("/" if cmd.paths[0].startswith("/") else "")
            source = Source(root, True, process.stdout.write, self.refuse, self.decide, self.passed, self.began,
                            self.keep)
            flows = (self.pump(remote.stdout, process.stdout, source.feed),
                     self.pump(process.stdin, remote.stdin, None, eof=True))
        operator_side = asyncio.ensure_future(flows[0] if cmd.upload else flows[1])
        try:
            await asyncio.gather(flows[1] if cmd.upload else flows[0], self.pump(remote.stderr, process.stderr, None))
            await remote.wait_closed()
        except (OSError, asyncssh.Error, ScpError) as exc:
            log.warning("scp session %s ended: %s", self.sid, exc)
            self.status = FAILED
            remote.close()
        finally:
            operator_side.cancel()
        target.pass_exit(process, remote)
        await self.finish()

    async def target_is_dir(self) -> bool:
        """Whether an upload's path is a folder on the target (where its files' names go)."""
        cmd = self.command
        if not cmd.upload or cmd.directory or cmd.recursive or cmd.paths[0].endswith("/"):
            return True
        try:
            done = await asyncio.wait_for(self.login.target_conn.run(
                f"test -d {shlex.quote(cmd.paths[0])}", check=False), 10)
            return done.exit_status == 0
        except (OSError, asyncssh.Error, asyncio.TimeoutError):
            return posixpath.basename(cmd.paths[0]) in ("", ".", "..", "~")

    async def pump(self, reader, writer, parse, eof: bool = False) -> None:
        try:
            while True:
                data = await reader.read(READ_BYTES)
                if not data:
                    if eof:
                        writer.write_eof()
                    return
                if parse:
                    parse(data)
                else:
                    writer.write(data)
                await writer.drain()
        except ScpError:
            if eof:                     # the operator's side: the target's side ends the session
                self.status = FAILED
                self.remote.close()
                return
            raise

    def decide(self, kind: str, size: Optional[int]) -> Optional[str]:
        if self.command.upload:
            return self.policy.upload(size)
        return self.policy.download(size)

    def refuse(self, kind: bytes, path: str, why: str, size: Optional[int]) -> None:
        warning = f"\x01scp: {path}: Guardzone: {why}\n".encode()
        if self.command.upload:
            self.process.stdout.write(warning)
        else:
            self.process.stdout.write(warning)          # in place of the file, for the operator
            self.remote.stdin.write(warning)            # the target's scp goes on to the next file
        self.log.record(fp.UPLOAD if self.command.upload else fp.DOWNLOAD, path, size=size, action=fp.REFUSED)

    def began(self, path: str) -> None:
        self.file = self.kept.capture(path, "up" if self.command.upload else "down")
        self.at = 0

    def keep(self, data: bytes) -> None:
        if self.file is not None:
            self.file.put(self.at, data)
            self.at += len(data)

    def passed(self, path: str, size: int) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        self.bytes += size
        self.log.record(fp.UPLOAD if self.command.upload else fp.DOWNLOAD, path, size=size)


async def relay(process: asyncssh.SSHServerProcess, login: Login, command: Command) -> None:
    await ScpRelay(process, login, command).run()
