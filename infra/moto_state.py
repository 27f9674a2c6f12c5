"""moto in server mode, keeping its state in a folder across restarts (the local stack's
GZ_DATA_DIR/moto):

    python -m infra.moto_state --port P --state-dir DIR [--interval 1.0]

Every service's backends are read back from DIR before the first request (infra/moto_snapshot.py).
A request that may change a service marks it; a background thread writes each marked service at
most every `interval` seconds, and once more on SIGTERM/SIGINT. Each service has a readers-writer
lock: requests share it, a snapshot holds it alone, so no request sees (or changes) a service
while it is pickled; services are written independently (a DynamoDB write does not re-pickle S3).
A service that takes long to pickle waits longer between its snapshots (`_DUTY`), so that its
requests are held back a tenth of the time at most. A SIGKILL loses the writes since the last
snapshot: `interval` (or ten times the pickling time, if more) plus one snapshot's time at most.

`GET /moto-state` says what was restored and which services have changes not yet on disk;
`POST /moto-state/snapshot` writes them now.
"""
import argparse
import functools
import hashlib
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from typing import Dict, List, Optional
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from infra import folder_lock, moto_atomic, moto_snapshot  # noqa: F401 (moto_atomic: DynamoDB's requests one at a time)
from infra.rwlock import RWLock

log = logging.getLogger("guardzone.moto_state")
STATE_PATH = "/moto-state"
SNAPSHOT_PATH = "/moto-state/snapshot"

# Actions that leave moto's state as it was (the rest, and anything unrecognised, mark the service).
_READ_PREFIXES = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "TransactGet", "Head")
_READ_ACTIONS = {"Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                 "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateRandom", "Sign",
                 "Verify", "GenerateMac", "VerifyMac"}
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
_DUTY = 9       # a service waits at least this many times its last pickling time between snapshots
_request = threading.local()    # the service lock the current request holds


def action_of(environ: dict) -> str:
    """The API action a request names, whatever its protocol; "" for REST (S3)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:                                                  # JSON: DynamoDB, SQS, KMS
        return target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    if "/operation/" in path:                                   # RPC v2 CBOR: CloudWatch
        return path.rsplit("/operation/", 1)[1].strip("/")
    found = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if found:
        return found[0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):   # query: EC2, RDS
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)                # for moto, which reads it again
        found = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if found:
            return found[0]
    return ""


def changes_state(environ: dict) -> bool:
    action = action_of(environ)
    if action:
        return not (action.startswith(_READ_PREFIXES) or action in _READ_ACTIONS)
    return environ.get("REQUEST_METHOD", "GET") not in _READ_METHODS


def _let_go_while_waiting(wait):
    """An SQS long poll waits for messages inside moto (Queue.wait_for_messages), holding nothing
    of the queue's state meanwhile: its request lets its lock go for the wait, so a snapshot does
    not wait for the poll (nor hold every other SQS request back behind it)."""
    @functools.wraps(wait)
    def waiting(queue, timeout):
        lock = getattr(_request, "lock", None)
        if lock is None:
            return wait(queue, timeout)
        lock.release_read()
        try:
            return wait(queue, timeout)
        finally:
            lock.acquire_read()
    waiting.lets_go = True
    return waiting


class StatefulMoto:
    """moto's WSGI application, with each request under its service's lock and each service
    written to `directory` after it changes."""

    def __init__(self, directory: str, interval: float = 1.0, restored: Optional[List[str]] = None,
                 pending: Optional[set] = None) -> None:
        from moto.sqs.models import Queue
        if not getattr(Queue.wait_for_messages, "lets_go", False):
            Queue.wait_for_messages = _let_go_while_waiting(Queue.wait_for_messages)
        self.directory, self.interval = directory, interval
        self.restored = list(restored or [])
        self._pending = set(pending or ())   # saved services read back at their first request
        self.dispatcher = DomainDispatcherApplication(create_backend_app)
        self._locks: Dict[str, RWLock] = {}
        self._dirty: set = set()
        self._guard = threading.Lock()
        self._one_snapshot = threading.Lock()
        self._digests: Dict[str, bytes] = {}
        self._due: Dict[str, float] = {}     # service → when it may be pickled again
        self._saving = ""                    # the service being written
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="moto-snapshots", daemon=True)

    def lock(self, service: str) -> RWLock:
        with self._guard:
            return self._locks.setdefault(service, RWLock())

    def mark(self, service: str) -> None:
        with self._guard:
            if moto_snapshot.backend_dict(service) is not None:
                self._dirty.add(service)
            elif service == "moto_api":       # /moto-api/reset and the like reach every service
                self._pending.clear()           # (and what was saved of one not read back yet)
                self._dirty.update(s for s in self._locks if moto_snapshot.backend_dict(s) is not None)

    def _read_back(self, service: str) -> None:
        """A service left on disk at start, read back before its first request is served."""
        with self.lock(service).writing():
            with self._guard:
                if service not in self._pending:
                    return
            moto_snapshot.restore(self.directory, only={service})
            with self._guard:
                self._pending.discard(service)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in (STATE_PATH, SNAPSHOT_PATH):
            return self._own(path, environ, start_response)
        writes = changes_state(environ)
        app = self.dispatcher.get_application(environ)
        service = getattr(app, "service", "")
        if service in self._pending:
            self._read_back(service)
        lock = self.lock(service)
        lock.acquire_read()
        _request.lock = lock
        try:
            response = app(environ, start_response)
            try:
                body = b"".join(response)       # all of it under the lock: a body may be read lazily
            finally:
                getattr(response, "close", lambda: None)()
            if writes:
                self.mark(service)
        finally:
            _request.lock = None
            lock.release_read()
        return [body]

    def _own(self, path: str, environ, start_response):
        if path == SNAPSHOT_PATH and environ.get("REQUEST_METHOD") == "POST":
            body = {"written": self.snapshot()}
        else:
            with self._guard:
                unsaved = self._dirty | ({self._saving} if self._saving else set())
                body = {"restored": self.restored, "changed": sorted(unsaved)}
        data = json.dumps(body).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def snapshot(self, now: bool = True) -> List[str]:
        """Write every service changed since its last snapshot (with now=False, those whose
        turn has come); returns those written."""
        written = []
        with self._one_snapshot:
            with self._guard:
                changed = sorted(self._dirty)
            for service in changed:
                if service in self._pending:
                    continue                    # its file is still the state: nothing to write
                if not now and time.monotonic() < self._due.get(service, 0.0):
                    continue
                if self._save(service):
                    written.append(service)
        return written

    def _save(self, service: str) -> bool:
        with self._guard:
            self._saving = service
        try:
            with self.lock(service).writing():
                with self._guard:
                    self._dirty.discard(service)     # a write from now on marks it again
                started = time.monotonic()
                data = moto_snapshot.dumps(service)
                self._due[service] = time.monotonic() + _DUTY * (time.monotonic() - started)
            digest = hashlib.blake2b(data, digest_size=16).digest()
            if digest == self._digests.get(service):
                return False            # marked, but as it was (an empty long poll)
            moto_snapshot.write(self.directory, service, data)
            self._digests[service] = digest
            return True
        except OSError as exc:
            log.error("moto %s not saved (tried again later): %s: %s", service, type(exc).__name__, exc)
            self.mark(service)
            return False
        except Exception as exc:        # something moto holds that pickle cannot take
            log.error("moto %s not saved: %s: %s", service, type(exc).__name__, exc)
            return False
        finally:
            with self._guard:
                self._saving = ""

    def start(self) -> "StatefulMoto":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.snapshot(now=False)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        self.snapshot()


RESTORE_LATER_BYTES = 256 * 1024


def _unreadable(exc: Exception, state_dir: str) -> int:
    print(f"moto's saved state cannot be read: {exc}\nMove {state_dir} away, or start afresh "
          f"(GZ_FRESH=1).", file=sys.stderr, flush=True)
    return 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--interval", type=float, default=1.0, help="least seconds between two snapshots of a service")
    parser.add_argument("--lock-wait", type=float, default=10.0,
                        help="seconds to wait for a moto still writing the folder (one killed with its stack)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)     # a line per request otherwise
    os.environ.setdefault("MOTO_PORT", str(args.port))       # as moto.server sets it
    try:
        folder_lock.hold(args.state_dir, wait=args.lock_wait)     # held until this process exits
    except folder_lock.FolderBusy as exc:
        print(f"{exc}: another local stack keeps its state there (GZ_DATA_DIR).", file=sys.stderr, flush=True)
        return 2
    # Small services are read back before serving; a large one (EC2 holds its regions' images:
    # ~1 MB, ~0.9 s to read) at its first request, so that a restart does not wait for it.
    saved = moto_snapshot.saved(args.state_dir)
    later = {s for s, size in saved.items() if size > RESTORE_LATER_BYTES}
    try:
        moto_snapshot.restore(args.state_dir, only=set(saved) - later)
    except moto_snapshot.SnapshotError as exc:
        return _unreadable(exc, args.state_dir)
    app = StatefulMoto(args.state_dir, args.interval, sorted(saved), pending=later)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    threading.Thread(target=server.serve_forever, name="moto-http", daemon=True).start()
    app.start()
    while not stopping.wait(0.5):
        pass
    server.shutdown()
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
