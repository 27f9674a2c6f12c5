"""The SFTP subsystem relayed to the target's, under the grant's file permissions.

Packets (draft-ietf-secsh-filexfer-02, version 3, which OpenSSH and asyncssh speak; the client's
INIT is lowered to 3, so the target never answers a later version) flow both ways unchanged
except where a rule applies. Each packet is split off its stream by its length; only its head is
read: the whole of a request or answer, but of a WRITE or a DATA packet (the file's bytes) the
first HEAD_CAP bytes, the rest passing through as it arrives. Memory is thus bounded by the
packets in flight, whatever the file sizes.

Requests a rule refuses never reach the target: the gateway answers them with
SSH_FX_PERMISSION_DENIED and a message naming the rule, and records them (Action 2):
  OPEN for reading                 AllowFileDown; with MaxFileDownSize the gateway STATs the
                                   path first and refuses a larger file; READs past the limit
                                   (a file that grew) get EOF
  OPEN for writing, creating,      AllowFileUp; MaxFileUpSize: the size in the OPEN's attributes,
  truncating or appending          then each WRITE (and SETSTAT of a size) past the limit is
                                   refused, and a file the open created (the gateway STATs it
                                   first) or truncated is removed at the first refused WRITE
                                   (the client may write on into the unlinked file)
  REMOVE, RMDIR                    AllowFileDel
  MKDIR, RENAME, SETSTAT, FSETSTAT,
  SYMLINK, hardlink, lsetstat      AllowFileUp
  posix-rename@openssh.com         AllowFileUp, and AllowFileDel when it replaces a file
Browsing (OPENDIR, READDIR, STAT, LSTAT, FSTAT, REALPATH, READLINK) is always allowed. Extended
requests other than those above and statvfs, fstatvfs, fsync, limits, expand-path,
home-directory and users-groups-by-id are answered SSH_FX_OP_UNSUPPORTED (and left out of the
VERSION's extension list).

What the target did is recorded when it answers: a file's upload (1) and download (2) when its
handle closes, with the bytes written and read; remove (3), rmdir (9), mkdir (6), rename and
move (4, 5, 7, 8) when they succeed. The gateway's own requests (STAT, LSTAT, REMOVE) use ids
counted down from 2^32 - 1; their answers are not passed on.
"""
import asyncio
import inspect
import logging
import struct
from dataclasses import dataclass
from typing import Awaitable, Callable, Dict, List, Optional, Tuple, Union

import asyncssh

from layers.bastion import file_policy as fp
from layers.bastion.file_capture import Capture
from layers.bastion.ssh import packet_path, target
from layers.bastion.ssh.file_log import FAILED, Transfer
from layers.bastion.ssh.login_flow import Login

log = logging.getLogger("guardzone.bastion.gateway")
READ_BYTES = 256 * 1024
HEAD_CAP = 1024                 # of a WRITE or DATA packet: type, id, handle (<= 256), offset, length
MAX_PACKET = 4 * 1024 * 1024    # other packets are read whole
VERSION_3 = 3

INIT, VERSION, OPEN, CLOSE, READ, WRITE, LSTAT, FSTAT, SETSTAT, FSETSTAT, OPENDIR, READDIR, REMOVE, MKDIR, \
    RMDIR, REALPATH, STAT, RENAME, READLINK, SYMLINK = range(1, 21)
STATUS, HANDLE, DATA, NAME, ATTRS = range(101, 106)
EXTENDED, EXTENDED_REPLY = 200, 201
FX_OK, FX_EOF, FX_NO_SUCH_FILE, FX_PERMISSION_DENIED, FX_FAILURE, FX_BAD_MESSAGE = range(6)
FX_OP_UNSUPPORTED = 8
PF_READ, PF_WRITE, PF_APPEND, PF_CREAT, PF_TRUNC, PF_EXCL = 1, 2, 4, 8, 0x10, 0x20
ATTR_SIZE, ATTR_UIDGID, ATTR_PERMISSIONS, ATTR_ACMODTIME, ATTR_EXTENDED = 1, 2, 4, 8, 0x80000000
S_IFMT, S_IFDIR = 0o170000, 0o040000

PASSED_EXTENSIONS = {b"statvfs@openssh.com", b"fstatvfs@openssh.com", b"fsync@openssh.com",
                     b"limits@openssh.com", b"expand-path@openssh.com", b"home-directory",
                     b"users-groups-by-id@openssh.com"}
WRITING_EXTENSIONS = {b"hardlink@openssh.com", b"lsetstat@openssh.com"}
POSIX_RENAME = b"posix-rename@openssh.com"
KNOWN_EXTENSIONS = PASSED_EXTENSIONS | WRITING_EXTENSIONS | {POSIX_RENAME}


class ProtocolError(Exception):
    pass


class Reader:
    """Fields of a packet's head, in order."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def u32(self) -> int:
        if self.pos + 4 > len(self.data):
            raise ProtocolError("short packet")
        self.pos += 4
        return struct.unpack_from(">I", self.data, self.pos - 4)[0]

    def u64(self) -> int:
        if self.pos + 8 > len(self.data):
            raise ProtocolError("short packet")
        self.pos += 8
        return struct.unpack_from(">Q", self.data, self.pos - 8)[0]

    def string(self) -> bytes:
        n = self.u32()
        if self.pos + n > len(self.data):
            raise ProtocolError("short packet")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def attrs(self) -> dict:
        flags, out = self.u32(), {}
        if flags & ATTR_SIZE:
            out["size"] = self.u64()
        if flags & ATTR_UIDGID:
            self.u32(), self.u32()
        if flags & ATTR_PERMISSIONS:
            out["permissions"] = self.u32()
        if flags & ATTR_ACMODTIME:
            self.u32(), self.u32()
        return out


def sstr(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def packet(kind: int, body: bytes) -> bytes:
    return struct.pack(">IB", len(body) + 1, kind) + body


def status(rid: int, code: int, message: str) -> bytes:
    return packet(STATUS, struct.pack(">II", rid, code) + sstr(message.encode()) + sstr(b"en"))


def text(path: bytes) -> str:
    return path.decode("utf-8", "replace")


Handler = Callable[[bytes, int], Union[Optional[bytes], Awaitable[Optional[bytes]]]]


class Framer:
    """Splits a stream into packets. For each, `on_packet(head, total)` gets the head (the whole
    packet, or the first HEAD_CAP bytes of a `streamed` one) and the packet's full length; it
    returns the bytes to send in place of the head (the head itself, a rewrite, or more) or None
    to drop the packet; the rest of the packet then follows the head's fate. It may return an
    awaitable of that (it then holds the stream until it is done)."""

    def __init__(self, streamed: int, on_packet: Handler, emit: Callable[[bytes], None],
                 boundary: Optional[Callable[[Callable[[], None]], None]] = None) -> None:
        self.streamed, self.on_packet, self.write, self.boundary = streamed, on_packet, emit, boundary
        self.out: List[bytes] = []  # what one feed() passes on, written at once (fewer, fuller SSH packets)
        self.head = bytearray()
        self.want = 5
        self.total = 0
        self.rest = 0               # bytes of the current packet still to pass (or drop)
        self.keep = True
        self.tap: Optional[Callable[[bytes], None]] = None  # set by on_packet: sees the rest of its packet

    @property
    def at_boundary(self) -> bool:
        return not self.rest and not self.head

    def emit(self, data: bytes) -> None:
        self.out.append(data)

    def flush(self) -> None:
        if self.out:
            self.write(self.out[0] if len(self.out) == 1 else b"".join(self.out))
            self.out.clear()

    def passed(self) -> None:
        """A packet has gone by: the boundary is told (with flush, to write what went before
        anything it inserts)."""
        if self.boundary:
            self.boundary(self.flush)

    async def feed(self, data: bytes) -> None:
        try:
            await self._feed(data)
        finally:
            self.flush()

    async def _feed(self, data: bytes) -> None:
        pos, n = 0, len(data)
        while pos < n:
            if self.rest:
                take = min(self.rest, n - pos)
                if self.keep:
                    chunk = data if take == n else data[pos:pos + take]
                    self.emit(chunk)
                    if self.tap is not None:
                        self.tap(chunk)
                pos += take
                self.rest -= take
                if not self.rest:
                    self.passed()
                continue
            piece = data[pos:pos + self.want - len(self.head)]
            self.head += piece
            pos += len(piece)
            if len(self.head) < self.want:
                return
            if self.want == 5:
                length, kind = struct.unpack_from(">IB", self.head)
                if length < 1 or (kind != self.streamed and length > MAX_PACKET):
                    raise ProtocolError(f"packet of {length} bytes")
                self.total = 4 + length
                self.want = self.total if kind != self.streamed else min(self.total, HEAD_CAP)
                if len(self.head) < self.want:
                    continue
            head = bytes(self.head)
            self.head.clear()
            self.want = 5
            self.rest = self.total - len(head)
            self.tap = None
            out = self.on_packet(head, self.total)
            if inspect.isawaitable(out):
                self.flush()
                out = await out
            self.keep = out is not None
            if out:
                self.emit(out)
            if not self.rest:
                self.passed()


@dataclass
class Handle:
    path: str
    reading: bool
    writing: bool
    replaces: bool                  # opened with TRUNC, or created by this open: all of it is the upload's
    read: int = 0
    written: int = 0
    over: Optional[str] = None      # the refusal of a WRITE past the upload limit
    kept: Optional[Capture] = None  # its contents kept (file_capture.py; off by default)


class SftpRelay(Transfer):
    def __init__(self, process: asyncssh.SSHServerProcess, login: Login) -> None:
        super().__init__(process, login, fp.SFTP)
        self.handles: Dict[bytes, Handle] = {}
        self.pending: Dict[int, Tuple] = {}         # request id -> what its answer settles
        self.own: Dict[int, asyncio.Future] = {}    # the gateway's own requests to the target
        self.next_own = 0xFFFFFFFF
        self.to_client: List[bytes] = []            # the gateway's answers, waiting for a packet boundary
        self.remote: Optional[asyncssh.SSHClientProcess] = None
        self.up: Optional[Framer] = None
        self.down: Optional[Framer] = None

    # ---- the relay ----

    async def run(self) -> None:
        await self.start()
        process = self.process
        try:
            self.remote = await self.login.target_conn.create_process(subsystem="sftp", encoding=None,
                                                                      **target.CHANNEL)
        except (OSError, asyncssh.Error) as exc:
            self.status = FAILED
            process.stderr.write(f"Guardzone: the target refused SFTP ({type(exc).__name__})\r\n".encode())
            process.exit(255)
            await self.finish()
            return
        self.up = Framer(WRITE, self.request, self.remote.stdin.write)
        self.down = Framer(DATA, self.answer, process.stdout.write, self.between)
        requests = asyncio.ensure_future(self.upstream())
        try:
            await self.downstream()
            await self.remote.wait_closed()
        except (OSError, asyncssh.Error, ProtocolError) as exc:
            log.warning("SFTP session %s ended: %s", self.sid, exc)
            self.status = FAILED
            self.remote.close()
        finally:
            requests.cancel()
            for future in self.own.values():
                future.cancel()
        self.close_all()
        process.exit(0 if self.status != FAILED else 255)
        await self.finish()

    async def upstream(self) -> None:
        """Operator -> target: requests, checked."""
        stdin, sink = self.process.stdin, self.remote.stdin
        try:
            while True:
                data = await packet_path.read(stdin, READ_BYTES)
                if not data:
                    sink.write_eof()
                    return
                await self.up.feed(data)
                await sink.drain()
        except (OSError, asyncssh.Error, ProtocolError) as exc:
            log.warning("SFTP session %s: the operator's side ended: %s", self.sid, exc)
            self.status = FAILED
            self.remote.close()

    async def downstream(self) -> None:
        """Target -> operator: answers, and the gateway's own answers between packets."""
        source, sink = self.remote.stdout, self.process.stdout
        while True:
            data = await packet_path.read(source, READ_BYTES)
            if not data:
                return
            await self.down.feed(data)
            await sink.drain()

    def reply(self, data: bytes) -> None:
        """An answer of the gateway's own to the operator, between the target's packets."""
        self.to_client.append(data)
        if self.down.at_boundary:
            self.flush_client()

    def between(self, flush: Callable[[], None]) -> None:
        if self.to_client:
            flush()
            self.flush_client()

    def flush_client(self) -> None:
        for data in self.to_client:
            self.process.stdout.write(data)
        self.to_client.clear()

    def tell(self, kind: int, body: bytes) -> None:
        """A request of the gateway's own whose answer does not matter (sent between packets)."""
        rid = self.next_own
        self.next_own -= 1
        self.own[rid] = asyncio.get_running_loop().create_future()
        self.remote.stdin.write(packet(kind, struct.pack(">I", rid) + body))

    async def ask(self, kind: int, body: bytes) -> Tuple[int, bytes]:
        """A request of the gateway's own to the target: (answer type, answer packet)."""
        rid = self.next_own
        self.next_own -= 1
        future = asyncio.get_running_loop().create_future()
        self.own[rid] = future
        self.remote.stdin.write(packet(kind, struct.pack(">I", rid) + body))
        try:
            return await future
        finally:
            self.own.pop(rid, None)

    async def lstat(self, path: bytes, kind: int = LSTAT) -> Optional[dict]:
        """The target's attributes of a path, or None."""
        answer, head = await self.ask(kind, sstr(path))
        return Reader(head, 9).attrs() if answer == ATTRS else None

    def refuse(self, rid: int, why: str, method: int, path: bytes, *, new: Optional[bytes] = None,
               size: Optional[int] = None) -> None:
        self.reply(status(rid, FX_PERMISSION_DENIED, f"Guardzone: {why}"))
        self.log.record(method, text(path), new=None if new is None else text(new), size=size,
                        action=fp.REFUSED)
        return None

    # ---- requests ----

    def request(self, head: bytes, total: int):
        kind = head[4]
        r = Reader(head, 5)
        if kind == INIT:
            version = r.u32()
            return head[:5] + struct.pack(">I", min(version, VERSION_3)) + head[9:]
        rid = r.u32()
        if kind == WRITE:
            return self.write(rid, r, head, total)
        if kind == READ:
            return self.read(rid, r, head)
        if kind == OPEN:
            return self.open(rid, r, head)
        if kind == CLOSE:
            handle = r.string()
            if handle in self.handles:
                self.pending[rid] = ("close", handle)
            return head
        if kind in (REMOVE, RMDIR):
            path = r.string()
            method = fp.DELETE if kind == REMOVE else fp.RMDIR
            why = self.policy.remove()
            if why:
                return self.refuse(rid, why, method, path)
            return self.removal(rid, method, path, head) if kind == REMOVE else self.track(rid, ("op", method, path),
                                                                                            head)
        if kind == MKDIR:
            path = r.string()
            why = self.policy.modify()
            return self.refuse(rid, why, fp.MKDIR, path) if why else self.track(rid, ("op", fp.MKDIR, path), head)
        if kind == RENAME:
            return self.rename(rid, r.string(), r.string(), head, replaces=False)
        if kind in (SETSTAT, FSETSTAT, SYMLINK):
            target = r.string()
            h = self.handles.get(target) if kind == FSETSTAT else None
            why = self.policy.modify()
            if not why and kind != SYMLINK:
                size = r.attrs().get("size")        # a truncate or an extension: a write of that size
                if h is not None and h.over:        # an upload refused already: recorded when it closes
                    self.reply(status(rid, FX_PERMISSION_DENIED, f"Guardzone: {h.path}: {h.over}"))
                    return None
                why = self.policy.upload(size)
            if why:
                return self.refuse(rid, why, fp.UPLOAD, h.path.encode() if h else target)
            return head
        if kind == EXTENDED:
            name = r.string()
            if name in PASSED_EXTENSIONS:
                return head
            if name == POSIX_RENAME:
                return self.rename(rid, r.string(), r.string(), head, replaces=True)
            if name in WRITING_EXTENSIONS:
                why = self.policy.modify()
                return self.refuse(rid, why, fp.UPLOAD, r.string()) if why else head
            self.reply(status(rid, FX_OP_UNSUPPORTED, f"Guardzone: {text(name)} is not supported"))
            return None
        return head

    def track(self, rid: int, what: Tuple, head: bytes) -> bytes:
        self.pending[rid] = what
        return head

    def open(self, rid: int, r: Reader, head: bytes):
        path, flags = r.string(), r.u32()
        attrs = r.attrs()
        reading = bool(flags & PF_READ)
        writing = bool(flags & (PF_WRITE | PF_APPEND | PF_CREAT | PF_TRUNC))
        if writing:
            why = self.policy.upload(attrs.get("size"))
            if why:
                return self.refuse(rid, why, fp.UPLOAD, path, size=attrs.get("size"))
        if reading:
            why = self.policy.download()
            if why:
                return self.refuse(rid, why, fp.DOWNLOAD, path)
        if (reading and self.policy.max_down) or (writing and self.policy.max_up):
            return self.sized_open(rid, path, flags, head, reading)
        return self.track(rid, ("open", path, flags, False), head)

    async def sized_open(self, rid: int, path: bytes, flags: int, head: bytes, reading: bool) -> Optional[bytes]:
        """Under a size limit: a file larger than the download limit is refused; a file the upload
        creates is known as such (it goes if the upload goes over the limit)."""
        attrs = await self.lstat(path, STAT)
        size = attrs.get("size") if attrs else None
        why = self.policy.download(size) if reading else None
        if why:
            return self.refuse(rid, why, fp.DOWNLOAD, path, size=size)
        return self.track(rid, ("open", path, flags, attrs is None), head)

    def read(self, rid: int, r: Reader, head: bytes) -> Optional[bytes]:
        handle = r.string()
        h = self.handles.get(handle)
        if h is None:
            return head
        offset, length = r.u64(), r.u32()
        limit = self.policy.max_down
        if limit and offset + length > limit:
            if offset >= limit:
                self.reply(status(rid, FX_EOF, "Guardzone: end of the download limit (MaxFileDownSize)"))
                return None
            head = head[:r.pos - 4] + struct.pack(">I", limit - offset) + head[r.pos:]
        self.pending[rid] = ("read", h, offset)
        return head

    def write(self, rid: int, r: Reader, head: bytes, total: int) -> Optional[bytes]:
        handle = r.string()
        h = self.handles.get(handle)
        if h is None:
            return head
        offset, length = r.u64(), r.u32()
        if r.pos + length != total:
            raise ProtocolError("WRITE length does not match its packet")
        limit = self.policy.max_up
        if limit and offset + length > limit:
            why = self.policy.upload(offset + length)
            if not h.over:
                h.over = why
                if h.replaces:              # what went of a file it created or replaced goes too
                    self.tell(REMOVE, sstr(h.path.encode()))
            self.reply(status(rid, FX_PERMISSION_DENIED, f"Guardzone: {h.path}: {why}"))
            return None
        h.written += length
        self.bytes += length
        if h.kept is not None:
            self.up.tap = _keeper(h.kept, offset, head[r.pos:])
        return head

    async def removal(self, rid: int, method: int, path: bytes, head: bytes) -> bytes:
        attrs = await self.lstat(path)
        self.pending[rid] = ("op", method, path, None, attrs.get("size") if attrs else None)
        return head

    async def rename(self, rid: int, old: bytes, new: bytes, head: bytes, *, replaces: bool) -> Optional[bytes]:
        source = await self.lstat(old)
        is_dir = bool(source and (source.get("permissions", 0) & S_IFMT) == S_IFDIR)
        method = fp.rename_method(text(old), text(new), is_dir)
        why = self.policy.modify()
        if not why and replaces and await self.lstat(new) is not None:
            why = self.policy.remove() and f"replacing {text(new)}: {self.policy.remove()}"
        if why:
            return self.refuse(rid, why, method, old, new=new)
        self.pending[rid] = ("op", method, old, new)
        return head

    # ---- answers ----

    def answer(self, head: bytes, total: int) -> Optional[bytes]:
        kind = head[4]
        if kind == VERSION:
            return self.version(head)
        rid = struct.unpack_from(">I", head, 5)[0] if len(head) >= 9 else None
        if rid in self.own:
            future = self.own.pop(rid)
            if not future.done():
                future.set_result((kind, head))
            return None
        what = self.pending.pop(rid, None)
        if what is None:
            return head
        if kind == DATA:
            if what[0] == "read":
                n = struct.unpack_from(">I", head, 9)[0]
                what[1].read += n
                self.bytes += n
                if what[1].kept is not None:
                    self.down.tap = _keeper(what[1].kept, what[2], head[13:])
            return head
        if what[0] == "open":
            if kind == HANDLE:
                _, path, flags, created = what
                handle = Reader(head, 9).string()
                h = Handle(text(path), bool(flags & PF_READ),
                           bool(flags & (PF_WRITE | PF_APPEND | PF_CREAT | PF_TRUNC)), bool(flags & PF_TRUNC) or created)
                h.kept = self.kept.capture(h.path, "up" if h.writing else "down")
                self.handles[handle] = h
        elif what[0] == "close":
            h = self.handles.pop(what[1], None)
            if h is not None:
                self.record_handle(h)
        elif what[0] == "op" and kind == STATUS and struct.unpack_from(">I", head, 9)[0] == FX_OK:
            _, method, path, *rest = what
            new = rest[0] if rest else None
            size = rest[1] if len(rest) > 1 else None
            self.log.record(method, text(path), new=None if new is None else text(new), size=size)
        return head

    def version(self, head: bytes) -> bytes:
        """The target's VERSION without the extensions the gateway does not pass."""
        r = Reader(head, 5)
        version = r.u32()
        kept = b""
        while r.pos < len(head):
            name, data = r.string(), r.string()
            if name in KNOWN_EXTENSIONS:
                kept += sstr(name) + sstr(data)
        return packet(VERSION, struct.pack(">I", version) + kept)

    def record_handle(self, h: Handle) -> None:
        if h.writing:
            self.log.record(fp.UPLOAD, h.path, size=h.written, action=fp.REFUSED if h.over else fp.ALLOWED)
        if h.reading and (h.read or not h.writing):
            self.log.record(fp.DOWNLOAD, h.path, size=h.read)
        if h.kept is not None and not h.over:
            h.kept.close()

    def close_all(self) -> None:
        """Handles the operator never closed: recorded as they stand."""
        for h in self.handles.values():
            self.record_handle(h)
        self.handles.clear()


def _keeper(kept: Capture, offset: int, first: bytes) -> Callable[[bytes], None]:
    """Keeps a READ's or WRITE's data: `first` (what the packet's head held of it), then what the
    framer taps of the rest of the packet."""
    at = [offset]

    def tap(chunk: bytes) -> None:
        kept.put(at[0], chunk)
        at[0] += len(chunk)
    tap(first)
    return tap


async def relay(process: asyncssh.SSHServerProcess, login: Login) -> None:
    await SftpRelay(process, login).run()

