"""Session recordings' spool on local disk, read again by recover() after a crash.

Each recording has two files in the spool folder:

    <stem>.cast   the asciicast as written so far (append only; its bytes are the S3 object's)
    <stem>.json   SpoolMeta: the object's bucket and key, the header, the owner process, and the
                  multipart upload's UploadId and uploaded parts (number, ETag, size)

The owner holds an exclusive flock on the .cast file for as long as it records; a recoverer
takes the same lock, so two gateways starting at once never finish one spool twice.
"""
import fcntl
import json
import os
import socket
import tempfile
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Tuple

from layers.config import settings

_READ = 1024 * 1024


def folder(path: Optional[str] = None) -> str:
    """The spool folder (made, private to this user, when missing)."""
    where = path or settings().recording_spool_dir or os.path.join(tempfile.gettempdir(), "guardzone-recordings")
    os.makedirs(where, mode=0o700, exist_ok=True)
    return where


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def _stat(pid: int) -> Optional[Tuple[str, str]]:
    """(state, start time in clock ticks since boot) from /proc; None where /proc is not there."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except FileNotFoundError:
        return ("X", "") if os.path.isdir("/proc/self") else None
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()     # the command name may hold spaces and ")"
    return fields[0], fields[19]


def current_owner() -> dict:
    pid = os.getpid()
    stat = _stat(pid)
    return {"pid": pid, "host": socket.gethostname(), "boot": _boot_id(), "start": stat[1] if stat else ""}


def owner_alive(owner: dict) -> bool:
    """Whether the process that wrote a spool still runs on this host. A pid reused by another
    process (other start time, or another boot) or a zombie counts as gone; so does another host
    name: the folder is local disk, so that host (or container) was replaced."""
    if owner.get("host") != socket.gethostname():
        return False
    boot = _boot_id()
    if owner.get("boot") and boot and owner["boot"] != boot:
        return False
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    stat = _stat(pid)
    if stat is None:
        return True
    state, start = stat
    if state in ("Z", "X"):
        return False
    return not owner.get("start") or owner["start"] == start


@dataclass
class SpoolMeta:
    account: str
    sid: str
    key: str
    bucket: str
    header: dict
    part_size: int
    owner: dict = field(default_factory=current_owner)
    upload_id: str = ""
    parts: List[list] = field(default_factory=list)     # [PartNumber, ETag, size]
    released: bool = False      # the owner's close() could not upload: recover() may finish it

    def uploaded(self) -> int:
        return sum(p[2] for p in self.parts)

    def save(self, path: str, sync: bool = False) -> None:
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8", opener=_private) as f:
            json.dump(asdict(self), f)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str) -> "SpoolMeta":
        with open(path, encoding="utf-8") as f:
            return cls(**json.load(f))


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def create(path: str) -> int:
    """A new spool file, open for appending and reading, locked by this process."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def header_line(header: dict) -> bytes:
    return (json.dumps(header, ensure_ascii=False) + "\n").encode("utf-8")


def write_all(fd: int, data) -> None:
    """Bytes, or a tuple of bytes (one writev), appended whole to the file."""
    if isinstance(data, tuple):
        total = sum(len(d) for d in data)
        done = os.writev(fd, data)
        if done == total:
            return
        data = b"".join(data)[done:]        # a short write (disk nearly full, a signal): the rest
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_at(fd: int, size: int, offset: int) -> bytes:
    """Exactly `size` bytes from `offset` (a short read is an error: the spool lost bytes)."""
    chunks, got = [], 0
    while got < size:
        chunk = os.pread(fd, size - got, offset + got)
        if not chunk:
            raise OSError(f"spool ends at {offset + got}, {size - got} bytes short")
        chunks.append(chunk)
        got += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def playable_end(fd: int) -> int:
    """Length of the spool's longest prefix of whole lines that are JSON, the first an asciicast v2
    header and the others events: what a crash (a torn last write, or after a power loss, bytes
    never synced) leaves playable."""
    offset = end = 0
    pending = b""
    first = True
    while True:
        chunk = os.pread(fd, _READ, offset)
        if not chunk:
            return end
        offset += len(chunk)
        pending += chunk
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            try:
                value = json.loads(line)
            except ValueError:
                return end
            good = (isinstance(value, dict) and value.get("version") == 2) if first else (
                isinstance(value, list) and len(value) == 3)
            if not good:
                return end
            first = False
            end += len(line) + 1
