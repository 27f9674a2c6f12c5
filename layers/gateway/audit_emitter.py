"""Audit events onto the audit queue, without failing a request and without losing an event.

Two delivery modes (GZ_AUDIT_DELIVERY):
- sync (Lambda): SendMessage before the response returns. If the queue cannot take it, the
  event goes to the audit outbox table; if that fails too, to the local spool. The scheduled
  `audit_outbox` function moves both back onto the queue.
- spool (the long-running local server): the event is appended to a per-process spool file
  (it survives a crash of the process) and a background shipper sends batches of ten with
  SendMessageBatch, advancing a committed offset only after the queue accepted them. It lingers
  a moment after the first event (`_LINGER`) so that a busy server ships a few full batches a
  second rather than one call per request, each competing with the requests being served.
Delivery is at least once; the indexer is idempotent by EventId.
"""
import json
import logging
import os
import threading
import time
from typing import List, Optional

from layers import aws
from layers.config import settings

log = logging.getLogger("guardzone.audit")
_BATCH = 10
_MAX_BATCH_BYTES = 200_000
_LINGER = 0.25     # seconds an event may wait for others to ship with


def _queue_url() -> str:
    s = settings()
    if s.audit_queue_url:
        return s.audit_queue_url
    url = aws.client("sqs").get_queue_url(QueueName=s.audit_queue)["QueueUrl"]
    s.audit_queue_url = url
    return url


def send_batch(bodies: List[str]) -> List[int]:
    """Send up to ten messages; returns the indexes that the queue did not accept."""
    entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
    resp = aws.client("sqs").send_message_batch(QueueUrl=_queue_url(), Entries=entries)
    return [int(f["Id"]) for f in resp.get("Failed", [])]


def _outbox_put(body: str, event_id: str) -> None:
    aws.client("dynamodb").put_item(TableName=settings().audit_outbox_table, Item={
        "pk": {"S": event_id}, "body": {"S": body}, "created": {"N": str(int(time.time()))}})


class Spool:
    """Append-only JSON-lines file plus the offset up to which the queue has the events."""

    def __init__(self, directory: str, name: str) -> None:
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, f"{name}.spool")
        self.offset_path = self.path + ".offset"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._lock = threading.Lock()

    def append(self, body: str) -> None:
        data = (body.replace("\n", " ") + "\n").encode("utf-8")
        with self._lock:
            os.write(self._fd, data)

    def close(self) -> None:
        os.close(self._fd)

    def committed(self) -> int:
        try:
            with open(self.offset_path) as f:
                return int(f.read().strip() or 0)
        except FileNotFoundError:
            return 0

    def _write_offset(self, offset: int) -> None:
        tmp = self.offset_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(offset))
        os.replace(tmp, self.offset_path)

    def commit(self, offset: int) -> None:
        with self._lock:
            if offset == os.fstat(self._fd).st_size and offset > 8 * 1024 * 1024:
                # Everything is on the queue and the file has grown: start it afresh. The offset
                # goes to 0 first, so a crash in between re-ships (duplicates) rather than skips.
                self._write_offset(0)
                os.ftruncate(self._fd, 0)
            else:
                self._write_offset(offset)

    def pending(self) -> tuple:
        """(lines not yet on the queue, the offset after them)."""
        start = self.committed()
        with open(self.path, "rb") as f:
            f.seek(start)
            data = f.read()
        end = start + data.rfind(b"\n") + 1 if b"\n" in data else start
        lines = [ln.decode("utf-8") for ln in data[: end - start].split(b"\n") if ln]
        return lines, end


def _batches(lines: List[str]):
    batch, size = [], 0
    for line in lines:
        if batch and (len(batch) == _BATCH or size + len(line) > _MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(line)
        size += len(line)
    if batch:
        yield batch


def ship(lines: List[str]) -> None:
    """Send lines in batches; raises if the queue keeps refusing some (the caller keeps them)."""
    for batch in _batches(lines):
        for attempt in range(5):
            batch = [batch[i] for i in send_batch(batch)]
            if not batch:
                break
            time.sleep(0.05 * (attempt + 1))
        if batch:
            raise RuntimeError(f"the audit queue refused {len(batch)} events")


class AuditEmitter:
    def __init__(self, mode: Optional[str] = None) -> None:
        s = settings()
        self.mode = mode or s.audit_delivery
        self._spool: Optional[Spool] = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._spool_dir = s.audit_spool_dir

    def spool(self) -> Spool:
        if self._spool is None:
            self._spool = Spool(self._spool_dir, f"audit-{os.getpid()}")
        return self._spool

    def emit(self, event: dict) -> None:
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str)
        if self.mode == "spool":
            self.spool().append(body)
            self._ensure_shipper()
            self._wake.set()
            return
        try:
            failed = send_batch([body])
            if not failed:
                return
        except Exception as exc:  # the queue is down: keep the event elsewhere
            log.warning("audit queue unavailable (%s); event %s kept in the outbox", type(exc).__name__,
                        event.get("EventId"))
        try:
            _outbox_put(body, event["EventId"])
        except Exception as exc:
            log.warning("audit outbox unavailable (%s); event %s kept in the local spool",
                        type(exc).__name__, event.get("EventId"))
            self.spool().append(body)

    # ---- background shipper (spool mode) ----
    def _ensure_shipper(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="audit-shipper", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        backoff = 0.05
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._stop.wait(_LINGER)
            self._wake.clear()
            try:
                self.flush()
                backoff = 0.05
            except Exception as exc:
                log.warning("audit shipping paused (%s); events stay in the spool", type(exc).__name__)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def flush(self) -> int:
        """Ship whatever the local spool holds; returns how many events went out."""
        if self._spool is None and not os.path.exists(os.path.join(self._spool_dir, f"audit-{os.getpid()}.spool")):
            return 0
        spool = self.spool()
        lines, end = spool.pending()
        if lines:
            ship(lines)
            spool.commit(end)
        return len(lines)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception as exc:
            log.warning("audit events left in the spool at shutdown (%s)", type(exc).__name__)


def drain_outbox(limit: int = 1000) -> int:
    """Move events from the outbox table (and any spool files left by stopped processes) back
    onto the queue. Run on a schedule."""
    ddb = aws.client("dynamodb")
    table = settings().audit_outbox_table
    moved = 0
    items = ddb.scan(TableName=table, Limit=limit, ConsistentRead=True).get("Items", [])
    for i in range(0, len(items), _BATCH):
        chunk = items[i:i + _BATCH]
        ship([it["body"]["S"] for it in chunk])
        for it in chunk:
            ddb.delete_item(TableName=table, Key={"pk": it["pk"]})
        moved += len(chunk)
    moved += drain_orphan_spools()
    return moved


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def drain_orphan_spools() -> int:
    directory = settings().audit_spool_dir
    if not os.path.isdir(directory):
        return 0
    moved = 0
    for name in sorted(os.listdir(directory)):
        if not (name.startswith("audit-") and name.endswith(".spool")):
            continue
        pid = int(name[len("audit-"):-len(".spool")])
        if pid != os.getpid() and _alive(pid):
            continue  # its own shipper owns it
        spool = Spool(directory, name[:-len(".spool")])
        lines, end = spool.pending()
        if lines:
            ship(lines)
            spool.commit(end)
            moved += len(lines)
        spool.close()
        if pid != os.getpid():
            os.remove(spool.path)
            if os.path.exists(spool.offset_path):
                os.remove(spool.offset_path)
    return moved
