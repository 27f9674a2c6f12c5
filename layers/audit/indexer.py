"""Audit queue batch -> archive + search store, with an outcome per message.

    succeeded   archived and in the store (or already there: the EventId is the document id)
    transient   the store or the archive could not take it now (down, read-only, overloaded)
    poison      it can never be indexed (not an audit event, or rejected by the mapping)

A message holds one event or several (the gateway's shipper packs them:
layers/gateway/audit_message.py); the events of one that can never be indexed are sent back as
messages of their own, and the rest of it counts as succeeded.

`settle` then makes the queue agree: only the failed messages come back. Chalice's SQS
handlers cannot return a partial batch response, so the succeeded messages are deleted here
and the invocation raises for the rest; that works whether or not the event source mapping
reports batch item failures, on Lambda and in the local pump alike. A transient failure
comes back after an exponential backoff and, before it would reach the queue's
maxReceiveCount, is re-sent as a fresh message: a store outage never sends events to the
dead-letter queue, however long it lasts. A poison message keeps its receive count and lands
in the dead-letter queue, from which `guardzone audit redrive` sends it back.
"""
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from layers import aws
from layers.audit.archive import Archive
from layers.audit.config import audit_settings
from layers.audit.document import BadEvent, family, parse_event
from layers.audit.writer import store_events
from layers.gateway.audit_message import BadMessage, lines_of
from layers.search.default import ensure_ready, forget
from layers.search.store import SearchStore, StoreUnavailable

log = logging.getLogger("guardzone.audit.indexer")


@dataclass
class Message:
    id: str
    body: str
    receipt_handle: str = ""
    receive_count: int = 1


@dataclass
class Outcome:
    succeeded: List[str] = field(default_factory=list)
    transient: List[str] = field(default_factory=list)
    poison: List[str] = field(default_factory=list)
    errors: Dict[str, str] = field(default_factory=dict)
    # message id -> the lines of a message of several events that can never be indexed: sent
    # back as messages of their own (each then poison), and the message counts as succeeded
    split: Dict[str, List[str]] = field(default_factory=dict)

    @property
    def failed(self) -> List[str]:
        return self.transient + self.poison


class BatchFailed(Exception):
    """Raised after the succeeded messages of a batch were deleted: the rest must come back."""


_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="audit-archive")
CHUNK_EVENTS = 10_000       # events stored (and held in memory) at a time


class Indexer:
    def __init__(self, store: SearchStore, archive: Optional[Archive] = None, *, prefix: Optional[str] = None) -> None:
        self.store = store
        self.archive = archive if archive is not None else Archive()
        self.prefix = prefix or audit_settings().index_prefix

    def process(self, messages: Sequence[Message]) -> Outcome:
        """Messages are read in order and stored a chunk (CHUNK_EVENTS or so) at a time, so a
        batch of packed messages never holds more than a chunk's events in memory."""
        out = Outcome()
        chunk: list = []                # (message, [(line, event)])
        size = 0
        for m in messages:
            events = self._read(m, out)
            if events is None:
                continue
            chunk.append((m, events))
            size += len(events)
            if size >= CHUNK_EVENTS:
                self._store(chunk, out)
                chunk, size = [], 0
        if chunk:
            self._store(chunk, out)
        return out

    @staticmethod
    def _read(m: Message, out: Outcome) -> Optional[list]:
        """[(line, event)] of a message, or None when it is poison as a whole."""
        try:
            lines = lines_of(m.body)
        except BadMessage as exc:
            out.poison.append(m.id)
            out.errors[m.id] = str(exc)
            return None
        events, bad = [], []
        for line in lines:
            try:
                events.append((line, parse_event(line)))
            except BadEvent as exc:
                bad.append(line)
                out.errors.setdefault(m.id, str(exc))
        if len(lines) == 1 and bad:
            out.poison.append(m.id)
            return None
        if bad:
            out.split[m.id] = bad
        return events

    def _store(self, chunk: list, out: Outcome) -> None:
        everything = [e for _, events in chunk for _, e in events]
        lines = [line for _, events in chunk for line, _ in events]
        if not everything:
            out.succeeded.extend(m.id for m, _ in chunk)
            return
        # The archive and the store are written side by side; a message counts as done only
        # when both took it, so the archive of a day always ends up holding what its index holds.
        archived = _pool.submit(self.archive.put, everything, lines)
        results = None
        try:
            ensure_ready(self.store, [family(self.prefix)])
            results = store_events(self.store, everything, self.prefix, lines)
        except StoreUnavailable as exc:
            forget(self.store)
            log.warning("search store unavailable (%s); %d events stay on the queue", exc, len(everything))
        try:
            archived.result()
        except Exception as exc:
            log.warning("archive unavailable (%s); %d events will be retried", type(exc).__name__, len(everything))
            results = None
        if results is None:
            for m, _ in chunk:
                out.transient.append(m.id)
                out.split.pop(m.id, None)
            return
        at = 0
        for m, events in chunk:
            mine, at = results[at:at + len(events)], at + len(events)
            failed = [r for r in mine if not r.ok]
            if any(r.transient for r in failed):
                out.transient.append(m.id)
                out.errors[m.id] = next(r.error for r in failed if r.transient)
                out.split.pop(m.id, None)
            elif failed and len(events) == 1 and m.id not in out.split:
                out.poison.append(m.id)
                out.errors[m.id] = failed[0].error
            else:
                if failed:
                    out.errors.setdefault(m.id, failed[0].error)
                    out.split.setdefault(m.id, []).extend(line for (line, _), r in zip(events, mine) if not r.ok)
                out.succeeded.append(m.id)


# ---- making the queue agree with the outcome ----
_queue_info: Dict[str, tuple] = {}
_info_lock = threading.Lock()


def queue_url_of(arn: str) -> str:
    return _queue(arn)[0]


def _queue(arn: str) -> tuple:
    """(url, maxReceiveCount or 0) of the queue an event source ARN names."""
    with _info_lock:
        hit = _queue_info.get(arn)
    if hit:
        return hit
    _, _, _, _, account, name = arn.split(":", 5)
    sqs = aws.client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    except Exception:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
    max_receives = int(json.loads(attrs["RedrivePolicy"]).get("maxReceiveCount", 0)) if "RedrivePolicy" in attrs else 0
    with _info_lock:
        _queue_info[arn] = (url, max_receives)
    return url, max_receives


def backoff_seconds(receive_count: int) -> int:
    s = audit_settings()
    return int(min(s.retry_max_seconds, s.retry_base_seconds * (2 ** max(0, receive_count - 1))))


def settle(queue_arn: str, messages: Sequence[Message], outcome: Outcome) -> None:
    """Delete what succeeded, schedule what failed, and raise BatchFailed if anything failed."""
    if outcome.split:
        _split_off(queue_arn, outcome)
    if not outcome.failed:
        return  # the runtime deletes the whole batch
    url, max_receives = _queue(queue_arn)
    sqs = aws.client("sqs")
    by_id = {m.id: m for m in messages}
    done = [by_id[i] for i in outcome.succeeded]
    for i in range(0, len(done), 10):
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(j), "ReceiptHandle": m.receipt_handle} for j, m in enumerate(done[i:i + 10])])
    for mid in outcome.transient:
        m = by_id[mid]
        delay = backoff_seconds(m.receive_count)
        if max_receives and m.receive_count >= max_receives - 1:
            # Re-send as a fresh message so that an outage never dead-letters an event.
            sqs.send_message(QueueUrl=url, MessageBody=m.body, DelaySeconds=min(delay, 900))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m.receipt_handle)
        else:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m.receipt_handle, VisibilityTimeout=delay)
    for mid in outcome.poison:
        m = by_id[mid]
        log.error("audit message %s cannot be indexed (%s); receive %d of %s before the dead-letter queue",
                  mid, outcome.errors.get(mid, ""), m.receive_count, max_receives or "∞")
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m.receipt_handle,
                                      VisibilityTimeout=backoff_seconds(m.receive_count))
    raise BatchFailed(f"{len(outcome.failed)} of {len(messages)} audit messages failed "
                      f"({len(outcome.transient)} transient, {len(outcome.poison)} poison); "
                      f"{len(outcome.succeeded)} were indexed and deleted")


def _split_off(queue_arn: str, outcome: Outcome) -> None:
    """Send the lines that can never be indexed back as messages of one event each, so that
    each takes a poison message's way alone; a message whose lines did not all go comes back."""
    url = _queue(queue_arn)[0]
    sqs = aws.client("sqs")
    for mid, lines in outcome.split.items():
        try:
            for i in range(0, len(lines), 10):
                resp = sqs.send_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(j), "MessageBody": line or " "} for j, line in enumerate(lines[i:i + 10])])
                if resp.get("Failed"):
                    raise RuntimeError(resp["Failed"][0].get("Code", "refused"))
        except Exception as exc:
            log.warning("audit message %s: lines that cannot be indexed not sent apart (%s); it comes back",
                        mid, exc)
            outcome.succeeded.remove(mid)
            outcome.transient.append(mid)
            continue
        log.error("audit message %s: %d of its lines cannot be indexed (%s); sent apart toward the "
                  "dead-letter queue", mid, len(lines), outcome.errors.get(mid, ""))
    outcome.split = {}


def messages_of(records: Sequence[dict]) -> List[Message]:
    """Lambda SQS records (dicts) -> messages."""
    return [Message(r["messageId"], r["body"], r.get("receiptHandle", ""),
                    int((r.get("attributes") or {}).get("ApproximateReceiveCount", 1))) for r in records]
