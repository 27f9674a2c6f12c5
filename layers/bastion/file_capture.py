"""Transferred file contents kept beside the session's recording: off unless
GZ_BASTION_KEEP_FILE_BYTES is set; then of each file an SFTP or scp session uploads or downloads,
its first that many bytes go to the recordings bucket at

    bastion-recordings/<OwnerUin>/<yyyy>/<mm>/<dd>/<Sid>/files/<n>-<file name>

(n counts the session's files from 1), with the file's path, the direction and the bytes seen as
object metadata. The bytes are gathered in a temporary file (by offset: SFTP reads and writes
anywhere in a file) and uploaded when the file is closed, from a thread."""
import logging
import posixpath
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from typing import List, Optional

from layers import aws
from layers.bastion.recording_store import object_key
from layers.config import settings

log = logging.getLogger("guardzone.bastion.gateway")
_uploads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="file-capture")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def limit() -> int:
    return settings().keep_file_bytes


class Capture:
    """One file's first `limit` bytes."""

    def __init__(self, files: "SessionFiles", path: str, direction: str) -> None:
        self.files, self.path, self.direction = files, path, direction
        self.limit = files.limit
        self.seen = 0                   # the highest byte offset written + 1, within the limit
        self._spool = None

    def put(self, offset: int, data: bytes) -> None:
        if offset >= self.limit or not data:
            return
        part = data[:self.limit - offset]
        if self._spool is None:
            self._spool = tempfile.TemporaryFile(prefix="guardzone-capture-")
        self._spool.seek(offset)
        self._spool.write(part)
        self.seen = max(self.seen, offset + len(part))

    def close(self) -> None:
        """Uploads what was kept (in a thread); nothing when no byte passed."""
        spool, self._spool = self._spool, None
        if spool is not None:
            self.files.upload(self, spool)


class SessionFiles:
    """The captures of one session; wait() at its end for their uploads."""

    def __init__(self, account: str, sid: str, started: float) -> None:
        self.limit = limit()
        self.prefix = object_key(account, sid, started)[:-len(".cast")] + "/files/"
        self.count = 0
        self.keys: List[str] = []
        self._pending: List[Future] = []

    @property
    def on(self) -> bool:
        return self.limit > 0

    def capture(self, path: str, direction: str) -> Optional[Capture]:
        return Capture(self, path, direction) if self.on else None

    def upload(self, capture: Capture, spool) -> None:
        self.count += 1
        name = _UNSAFE.sub("_", posixpath.basename(capture.path.rstrip("/")) or "file")[:100]
        key = f"{self.prefix}{self.count}-{name}"
        self.keys.append(key)
        self._pending.append(_uploads.submit(_put, key, spool, capture))

    def wait(self) -> None:
        for key, future in zip(self.keys[-len(self._pending):], self._pending):
            try:
                future.result()
            except Exception as exc:     # noqa: BLE001 - the session's records stand without it
                log.warning("file contents %s not kept: %s", key, type(exc).__name__)
        self._pending = []


def _put(key: str, spool, capture: Capture) -> None:
    with spool:
        spool.seek(0)
        aws.client("s3", bulk=True).put_object(
            Bucket=settings().recordings_bucket, Key=key, Body=spool.read(capture.seen),
            Metadata={"path": capture.path.encode("ascii", "backslashreplace").decode()[:1024],
                      "direction": capture.direction, "kept-bytes": str(capture.seen)})
