"""A bastion session's recording: asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/),
streamed to a spool file on local disk and from there to S3.

The SSH gateway calls output()/input()/resize() on its event loop: each only encodes one line
into a buffer of at most 64 KiB (written to the spool when full). A flusher thread shared by all
recordings writes every buffer at least each second and fsyncs the spools at least each 5 s, so
a killed gateway loses at most that; recover() uploads what it left. Past 5 MiB the spool goes
up as an S3 multipart upload, one part at a time from a background thread, read back from the
spool file: a session holds the buffer and at most one part in memory. close() (which blocks:
call it in a thread) uploads the rest and completes the object.

    {"version": 2, "width": 80, "height": 24, "timestamp": 1700000000, "env": {...}, "title": ""}
    [0.513218, "o", "$ "]
    [1.204511, "i", "l"]      (only with keyboard=True: the ACL's AllowKeyboardLogger)
    [3.000002, "r", "120x40"]
"""
import codecs
import logging
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Optional

import orjson

from layers import aws
from layers.bastion import recording_spool as spool
from layers.bastion.recording_store import (RecordingInfo, check_name, finish, object_key, presigned_url,
                                            read, recover, sha256_of, upload_part)
from layers.config import settings
from layers.logs import where

__all__ = ["Recording", "RecordingInfo", "presigned_url", "read", "recover"]

log = logging.getLogger("guardzone.bastion.recording")

BUFFER_LIMIT = 64 * 1024
PART_SIZE = 5 * 1024 * 1024         # S3's smallest part but the last
FLUSH_EVERY = 0.5                   # flusher ticks: buffers reach the spool within 1 s ...
FSYNC_EVERY = 4.5                   # ... and the disk within 5 s
RETRY_AFTER = 5.0                   # a part upload that failed is tried again after this

_uploads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="recording-upload")


class Recording:
    """One session's recording; `key` is its S3 object. close() it when the session ends."""

    def __init__(self, account: str, sid: str, width: int, height: int, *, keyboard: bool = False,
                 term: str = "xterm", shell: str = "/bin/bash", title: str = "",
                 spool_dir: Optional[str] = None, bucket: Optional[str] = None, clock=time.time):
        check_name("account", account)
        check_name("sid", sid)
        self.keyboard = keyboard
        self._clock = clock
        self._start = clock()
        self.key = object_key(account, sid, self._start)
        header = {"version": 2, "width": int(width), "height": int(height), "timestamp": int(self._start),
                  "env": {"TERM": term, "SHELL": shell}, "title": title}
        stem = os.path.join(spool.folder(spool_dir), f"{account}_{sid}_{secrets.token_hex(4)}")
        self._meta_path, self._cast_path = stem + ".json", stem + ".cast"
        self._meta = spool.SpoolMeta(account, sid, self.key, bucket or settings().recordings_bucket, header,
                                     PART_SIZE)
        self._meta.save(self._meta_path)       # first: recover() finds a spool through its metadata
        self._fd: Optional[int] = spool.create(self._cast_path)
        self._lock = threading.Lock()           # buffer, spool writes, sizes; taken on the event loop
        self._sync_lock = threading.Lock()      # fsync against closing the file; never on the event loop
        self._close_lock = threading.Lock()
        self._buffer = bytearray()
        self._size = 0                          # bytes in the spool file
        self._last = 0.0
        self._decoders = {"o": _decoder(), "i": _decoder()}
        self._job = None                        # the part upload under way
        self._retry_at = 0.0
        self._unsynced = False
        self._synced_at = time.monotonic()
        self._closing = False
        self._failed: Optional[OSError] = None
        self._info: Optional[RecordingInfo] = None
        self._error: Optional[BaseException] = None
        with self._lock:
            self._write(spool.header_line(header))
        _flusher.add(self)

    # The event loop's calls.

    def output(self, data: bytes) -> None:
        self._event("o", data)

    def input(self, data: bytes) -> None:
        if self.keyboard:
            self._event("i", data)

    def resize(self, width: int, height: int) -> None:
        with self._lock:
            if not self._closing:
                self._append("r", f"{int(width)}x{int(height)}")

    def offset_ms(self) -> int:
        """Milliseconds since the session started (a command's TimeOffset)."""
        return max(0, int((self._clock() - self._start) * 1000))

    def _event(self, code: str, data: bytes) -> None:
        with self._lock:
            if self._closing:
                return
            decoder = self._decoders[code]
            # Incremental: a character split across two chunks waits for its second half. ASCII
            # with nothing held back (most output) skips the incremental decoder's extra pass.
            text = data.decode("ascii") if data.isascii() and not decoder.getstate()[0] else decoder.decode(data)
            if text:
                self._append(code, text)

    def _append(self, code: str, text: str) -> None:
        if self._failed:
            raise self._failed
        elapsed = max(self._clock() - self._start, self._last)
        self._last = elapsed
        # orjson: ~40x json's speed on a terminal's output, which the relay waits for
        head, body = b'[%.6f, "%s", ' % (elapsed, code.encode()), orjson.dumps(text)
        size = len(head) + len(body) + 2
        if len(self._buffer) + size > BUFFER_LIMIT:
            if size > BUFFER_LIMIT:
                # a large chunk (a flood of output): the buffer and the line go to the spool in
                # one write, the line not copied into the buffer first
                self._flush((head, body, b"]\n"))
                return
            self._flush()
        self._buffer += head
        self._buffer += body
        self._buffer += b"]\n"

    # Spool writes, under self._lock.

    def _flush(self, line: tuple = ()) -> None:
        """The buffer, then the pieces of one line, to the spool."""
        if self._buffer or line:
            self._write((self._buffer, *line) if self._buffer else line)
            self._buffer = bytearray()
        self._schedule_upload()

    def _write(self, data) -> None:
        """Bytes, or a tuple of them written at once, appended to the spool."""
        try:
            spool.write_all(self._fd, data)
        except OSError as exc:
            # Disk full or the like: cut a torn line off so the spool stays playable. The session
            # is no longer recorded; the caller is told (every later call raises it too).
            self._failed = exc
            self._buffer = bytearray()
            try:
                os.ftruncate(self._fd, self._size)
            except OSError:
                pass
            raise
        self._size += len(data) if not isinstance(data, tuple) else sum(len(d) for d in data)
        self._unsynced = True

    def _schedule_upload(self) -> None:
        if (self._job is None and not self._closing and time.monotonic() >= self._retry_at
                and self._size - self._meta.uploaded() >= PART_SIZE):
            self._job = _uploads.submit(self._upload_parts)

    def _upload_parts(self) -> None:
        """Background: upload whole parts while the spool holds one more than S3 has."""
        try:
            s3 = aws.client("s3", bulk=True)
            while True:
                with self._lock:
                    if self._closing or self._size - self._meta.uploaded() < PART_SIZE:
                        return
                upload_part(s3, self._meta, self._fd, self._meta.uploaded() + PART_SIZE)
                self._meta.save(self._meta_path, sync=True)
        except Exception as exc:     # noqa: BLE001 - retried later; close() uploads what is left
            log.warning("recording %s: part upload failed, retried in %.0f s: %s", self.key, RETRY_AFTER, where(exc))
            self._retry_at = time.monotonic() + RETRY_AFTER
        finally:
            with self._lock:
                self._job = None

    # The flusher's tick.

    def _tick(self, now: float) -> None:
        with self._lock:
            if self._closing or self._failed:
                return
            self._flush()
            due = self._unsynced and now - self._synced_at >= FSYNC_EVERY
            if due:
                self._unsynced, self._synced_at = False, now
        if due:
            with self._sync_lock:
                if self._fd is not None:
                    os.fsync(self._fd)

    # Closing.

    def close(self) -> RecordingInfo:
        """Write what is left, complete the S3 object and remove the spool. Blocks (run it in a
        thread); a second call returns the first's result. If S3 cannot be reached, raises and
        leaves the spool to recover()."""
        with self._close_lock:
            if self._info is not None:
                return self._info
            if self._error is not None:
                raise self._error
            with self._lock:
                self._closing = True
                try:
                    if not self._failed:
                        for code in ("o", "i"):
                            text = self._decoders[code].decode(b"", final=True)
                            if text and (code == "o" or self.keyboard):
                                self._append(code, text)
                        self._flush()
                except OSError:
                    pass        # the spool holds what could be written; that is uploaded
                job = self._job
            _flusher.remove(self)
            if job is not None:
                wait([job])
            size = self._size
            try:
                finish(aws.client("s3", bulk=True), self._meta, self._fd, size,
                       lambda: self._meta.save(self._meta_path, sync=True))
                info = RecordingInfo(self.key, size, sha256_of(self._fd, size))
            except BaseException as exc:
                self._error = exc
                self._meta.released = True
                self._meta.save(self._meta_path, sync=True)
                self._close_file()
                raise
            os.remove(self._cast_path)
            os.remove(self._meta_path)
            self._close_file()
            self._info = info
            return info

    def _close_file(self) -> None:
        with self._sync_lock:
            if self._fd is not None:
                os.close(self._fd)      # also drops the flock
                self._fd = None

    def __enter__(self) -> "Recording":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _decoder():
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


class _Flusher:
    """One daemon thread for every recording of the process."""

    def __init__(self) -> None:
        self._recordings: set = set()
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    def add(self, recording: Recording) -> None:
        with self._lock:
            self._recordings.add(recording)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="recording-flusher", daemon=True)
                self._thread.start()

    def remove(self, recording: Recording) -> None:
        with self._lock:
            self._recordings.discard(recording)

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_EVERY)
            with self._lock:
                live = list(self._recordings)
            now = time.monotonic()
            for recording in live:
                try:
                    recording._tick(now)
                except Exception as exc:     # noqa: BLE001 - one recording must not stop the others'
                    log.error("recording %s: flush failed: %s", recording.key, where(exc))


_flusher = _Flusher()
