"""Audit events onto the audit queue, without failing a request and without losing an event.

Two delivery modes (GZ_AUDIT_DELIVERY):
- sync (Lambda): SendMessage before the response returns. If the queue cannot take it, the
  event goes to the audit outbox table; if that fails too, to the local spool, which the same
  emitter ships once the queue answers again. The scheduled `audit_outbox` function moves the
  outbox (and spools left by stopped processes) back onto the queue.
- spool (the long-running local server): the event is appended to a per-process spool file
  (it survives a crash of the process) and a background shipper sends what it holds, up to a
  MiB of events packed into each message (audit_message.py), committing the spool's offset after
  each message the queue accepted. It lingers a moment after the first event (`_LINGER`) so that a busy
  server ships a few full messages a second rather than one call per request, each competing
  with the requests being served. A message of one event is the event's JSON, as in sync mode.
Every body is made to fit and to be accepted first (layers/gateway/audit_body.py). An event the
queue still refuses for good (a sender fault) is dead-lettered (audit_dead_letter.py) and the
events behind it go on; an outage (no answer, a server fault) keeps everything for a retry.
Delivery is at least once; the indexer is idempotent by EventId.
"""
import json
import logging
import os
import threading
import time
from typing import Dict, List, Optional, Tuple

from botocore.exceptions import ClientError

from layers import aws
from layers.config import settings
from layers.gateway import audit_body, audit_dead_letter, audit_message

log = logging.getLogger("guardzone.audit")
_BATCH = 10
_MAX_BATCH_BYTES = 240 * 1024     # SendMessageBatch takes 256 KiB in all
_MAX_MESSAGE_BYTES = 240 * 1024   # a message of packed events at most (the queue takes 256 KiB)
_READ_BYTES = 1024 * 1024         # what one pass over a spool reads at most (whole lines)
_LINGER = 0.25                    # seconds an event may wait for others to ship with
# Whole-batch refusals that name the request, not the queue: sent one by one instead.
_BATCH_REFUSALS = {"AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong",
                   "AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidMessageContents",
                   "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "InvalidParameterValue"}


class QueueRefused(Exception):
    """The queue kept refusing events for a reason that may pass (an outage, throttling)."""


def _queue_url() -> str:
    s = settings()
    if s.audit_queue_url:
        return s.audit_queue_url
    url = aws.client("sqs").get_queue_url(QueueName=s.audit_queue)["QueueUrl"]
    s.audit_queue_url = url
    return url


def send_batch(bodies: List[str]) -> Tuple[List[int], List[int]]:
    """Send up to ten messages; returns the indexes refused (for now, for good)."""
    entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
    try:
        resp = aws.client("sqs").send_message_batch(QueueUrl=_queue_url(), Entries=entries)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in _BATCH_REFUSALS:
            raise
        if len(bodies) == 1:
            return [], [0]
        retry, dead = [], []
        for i, body in enumerate(bodies):
            again, refused = send_batch([body])
            retry += [i] * len(again)
            dead += [i] * len(refused)
        return retry, dead
    failed = resp.get("Failed", [])
    return ([int(f["Id"]) for f in failed if not f.get("SenderFault")],
            [int(f["Id"]) for f in failed if f.get("SenderFault")])


def _outbox_put(body: str, event_id: str) -> None:
    aws.client("dynamodb").put_item(TableName=settings().audit_outbox_table, Item={
        "pk": {"S": event_id}, "body": {"S": body}, "created": {"N": str(int(time.time()))}})


def _messages(bodies: List[str]):
    """(indexes of bodies, consecutive; their message): groups of MAX_RAW_BYTES at most, packed
    (audit_message.pack); a group whose message is still over _MAX_MESSAGE_BYTES (text that does
    not compress) is halved."""
    group, size = [], 0
    for i, body in enumerate(bodies):
        n = len(body.encode("utf-8")) + 1
        if group and size + n > audit_message.MAX_RAW_BYTES:
            yield from _packed(group, bodies)
            group, size = [], 0
        group.append(i)
        size += n
    if group:
        yield from _packed(group, bodies)


def _packed(group: List[int], bodies: List[str]):
    message = audit_message.pack([bodies[i] for i in group])
    if len(group) == 1 or len(message) <= _MAX_MESSAGE_BYTES:     # a packed message is ASCII
        yield group, message
        return
    half = len(group) // 2
    yield from _packed(group[:half], bodies)
    yield from _packed(group[half:], bodies)


def _batches(indexes: List[int], bodies: List[str]):
    """The indexes in batches of ten at most and _MAX_BATCH_BYTES at most (UTF-8 bytes)."""
    batch, size = [], 0
    for i in indexes:
        n = len(bodies[i].encode("utf-8"))
        if batch and (len(batch) == _BATCH or size + n > _MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(i)
        size += n
    if batch:
        yield batch


def _send(entries: List[str]) -> Tuple[List[int], List[int]]:
    """One batch, the entries refused for now sent again a few times: (still refused for now,
    refused for good)."""
    pending, dead = list(range(len(entries))), []
    for attempt in range(5):
        retry, refused = send_batch([entries[i] for i in pending])
        dead += [pending[j] for j in refused]
        pending = [pending[j] for j in retry]
        if not pending:
            break
        time.sleep(0.05 * (attempt + 1))
    return pending, dead


def ship(bodies: List[str], shipped=None) -> None:
    """Send bodies, several packed into a message (audit_message.py), calling shipped(i) after
    each message with the last index it holds. A message the queue refuses for good is sent again one event a
    message, and the events refused alone are dead-lettered without stopping the rest. Raises
    QueueRefused if the queue keeps refusing for a reason that may pass."""
    for group, message in _messages(bodies):
        if len(group) > 1:
            pending, dead = _send([message])
            if pending:
                raise QueueRefused(f"the audit queue refused a message of {len(group)} events")
            if not dead:
                if shipped:
                    shipped(group[-1])
                continue
        for batch in _batches(group, bodies):
            pending, dead = _send([bodies[i] for i in batch])
            for j in dead:
                audit_dead_letter.keep(bodies[batch[j]].encode("utf-8"), "the audit queue refused the event")
            if pending:
                raise QueueRefused(f"the audit queue refused {len(pending)} events")
            if shipped:
                shipped(batch[-1])


class Spool:
    """Append-only JSON-lines file plus the offset up to which the queue has the events."""

    def __init__(self, directory: str, name: str) -> None:
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, f"{name}.spool")
        self.offset_path = self.path + ".offset"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._lock = threading.Lock()
        self.shipping = _shipping_lock(self.path)   # one flush of this file at a time per process

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
        except (FileNotFoundError, ValueError):
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

    def pending(self, limit: int = _READ_BYTES) -> Tuple[List[str], List[int]]:
        """(bodies not yet on the queue, the offset after each), about `limit` bytes of whole lines.
        A line that cannot be an event (not UTF-8 or JSON, as a torn or foreign write leaves) is
        dead-lettered here; an oversized one (written before bodies were made to fit) is fitted."""
        start = self.committed()
        with open(self.path, "rb") as f:
            f.seek(start)
            data = f.read(limit)
            while data and b"\n" not in data:           # one line longer than the limit
                more = f.read(limit)
                if not more:
                    break
                data += more
        bodies, ends, pos = [], [], start
        for raw in data[: data.rfind(b"\n") + 1].split(b"\n")[:-1]:
            pos += len(raw) + 1
            body = _readable(raw)
            if body is not None:
                bodies.append(body)
                ends.append(pos)
            elif not bodies:
                self.commit(pos)                         # nothing before it waits to be shipped
            else:
                ends[-1] = pos
        return bodies, ends


def _readable(raw: bytes) -> Optional[str]:
    if not raw.strip():
        return None
    try:
        body = raw.decode("utf-8")
        if len(raw) <= audit_body.MAX_EVENT_BYTES:
            return body
        return audit_body.encode(json.loads(body))
    except ValueError:
        audit_dead_letter.keep(raw, "a spool line that is not an audit event")
        return None


_locks: Dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_shipped_here: set = set()      # spool paths this process's shippers own


def _shipping_lock(path: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


def flush_spool(spool: Spool) -> int:
    """Ship what the spool holds, committing after each batch; returns how many went out."""
    moved = 0
    with spool.shipping:
        while True:
            bodies, ends = spool.pending()
            if not bodies:
                return moved
            ship(bodies, shipped=lambda i: spool.commit(ends[i]))
            moved += len(bodies)


class AuditEmitter:
    def __init__(self, mode: Optional[str] = None) -> None:
        s = settings()
        self.mode = mode or s.audit_delivery
        self._spool: Optional[Spool] = None
        self._spooled = False           # sync mode: the spool holds events to ship
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._spool_dir = s.audit_spool_dir

    def spool(self) -> Spool:
        if self._spool is None:
            self._spool = Spool(self._spool_dir, f"audit-{os.getpid()}")
        return self._spool

    def emit(self, event: dict) -> None:
        body = audit_body.encode(event)
        event_id = str(event.get("EventId", ""))
        if self.mode == "spool":
            try:
                self.spool().append(body)
            except OSError as exc:
                log.error("audit spool unavailable (%s); event %s sent directly", type(exc).__name__, event_id)
                self._send(body, event_id)
                return
            self._ensure_shipper()
            self._wake.set()
            return
        self._send(body, event_id)

    def _send(self, body: str, event_id: str) -> None:
        """Queue, else outbox table, else the local spool, else a dead letter."""
        try:
            retry, dead = send_batch([body])
            if dead:
                audit_dead_letter.keep(body.encode("utf-8"), "the audit queue refused the event")
            if not retry:
                if self._spooled:
                    self._ship_spooled()
                return
        except Exception as exc:  # the queue is down: keep the event elsewhere
            log.warning("audit queue unavailable (%s); event %s kept in the outbox", type(exc).__name__, event_id)
        try:
            _outbox_put(body, event_id)
            return
        except Exception as exc:
            log.warning("audit outbox unavailable (%s); event %s kept in the local spool",
                        type(exc).__name__, event_id)
        try:
            self.spool().append(body)
            self._spooled = True
        except OSError as exc:
            audit_dead_letter.keep(body.encode("utf-8"), f"queue, outbox and spool unavailable ({type(exc).__name__})")

    def _ship_spooled(self) -> None:
        try:
            flush_spool(self.spool())
            self._spooled = False
        except Exception as exc:
            log.warning("audit events stay in the local spool (%s)", type(exc).__name__)

    # ---- background shipper (spool mode) ----
    def _ensure_shipper(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            _shipped_here.add(self.spool().path)
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
        return flush_spool(self.spool())

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception as exc:
            log.warning("audit events left in the spool at shutdown (%s)", type(exc).__name__)
        if self._spool is not None:
            _shipped_here.discard(self._spool.path)


def drain_outbox(limit: int = 1000) -> int:
    """Move events from the outbox table (and any spool files left by stopped processes) back
    onto the queue. Run on a schedule."""
    ddb = aws.client("dynamodb")
    table = settings().audit_outbox_table
    moved = 0
    items = ddb.scan(TableName=table, Limit=limit, ConsistentRead=True).get("Items", [])
    for i in range(0, len(items), _BATCH):
        chunk = items[i:i + _BATCH]
        ship([audit_body.encode(_event_of(it["body"]["S"])) for it in chunk])
        for it in chunk:
            ddb.delete_item(TableName=table, Key={"pk": it["pk"]})
        moved += len(chunk)
    moved += drain_orphan_spools()
    return moved


def _event_of(body: str) -> dict:
    try:
        return json.loads(body)
    except ValueError:
        return {"UnreadableOutboxItem": audit_body.omitted(body)}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def drain_orphan_spools() -> int:
    """Ship the spools no live shipper owns: those of stopped processes, and this process's own
    when it has no shipper (sync mode). A spool that fails is left for the next run; the others go on."""
    directory = settings().audit_spool_dir
    if not os.path.isdir(directory):
        return 0
    moved = 0
    for name in sorted(os.listdir(directory)):
        if not (name.startswith("audit-") and name.endswith(".spool")):
            continue
        try:
            pid = int(name[len("audit-"):-len(".spool")])
        except ValueError:
            continue
        path = os.path.join(directory, name)
        if (pid != os.getpid() and _alive(pid)) or path in _shipped_here:
            continue
        try:
            moved += _drain_spool(directory, name[:-len(".spool")], remove=pid != os.getpid())
        except Exception as exc:
            log.warning("audit spool %s not shipped (%s); the others go on", name, type(exc).__name__)
    return moved


def _drain_spool(directory: str, name: str, remove: bool) -> int:
    spool = Spool(directory, name)
    try:
        moved = flush_spool(spool)
    finally:
        spool.close()
    if remove:
        os.remove(spool.path)
        if os.path.exists(spool.offset_path):
            os.remove(spool.offset_path)
    return moved
