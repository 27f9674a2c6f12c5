"""Runbook operations: re-drive the dead-letter queue, rebuild a day's index from the archive."""
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Iterable, List, Optional

from layers import aws
from layers.audit.archive import Archive
from layers.audit.config import audit_settings
from layers.audit.document import BadEvent, family, validate_event
from layers.audit.writer import store_events
from layers.search.store import SearchStore
from layers.config import settings

log = logging.getLogger("guardzone.audit.maintenance")


def queue_url(name: str) -> str:
    return aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def redrive(source_url: Optional[str] = None, target_url: Optional[str] = None, *,
            limit: Optional[int] = None) -> int:
    """Move messages from the dead-letter queue back onto the audit queue; returns how many."""
    sqs = aws.client("sqs")
    source_url = source_url or queue_url(audit_settings().dead_letter_queue)
    target_url = target_url or queue_url(settings().audit_queue)
    moved = 0
    while limit is None or moved < limit:
        n = 10 if limit is None else min(10, limit - moved)
        got = sqs.receive_message(QueueUrl=source_url, MaxNumberOfMessages=n, WaitTimeSeconds=0,
                                  VisibilityTimeout=60).get("Messages", [])
        if not got:
            break
        resp = sqs.send_message_batch(QueueUrl=target_url, Entries=[
            {"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(got)])
        sent = {int(s["Id"]) for s in resp.get("Successful", [])}
        done = [m for i, m in enumerate(got) if i in sent]
        if done:
            sqs.delete_message_batch(QueueUrl=source_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        moved += len(done)
        if len(done) < len(got):
            raise RuntimeError(f"the audit queue refused {len(got) - len(done)} re-driven messages")
    return moved


@dataclass
class RebuildResult:
    index: str
    read: int = 0
    stored: int = 0
    failed: int = 0
    skipped: int = 0


def _chunks(events: Iterable[dict], size: int) -> Iterable[List[dict]]:
    chunk: List[dict] = []
    for e in events:
        chunk.append(e)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rebuild_day(store: SearchStore, day: dt.date, *, archive: Optional[Archive] = None, fresh: bool = False,
                batch: int = 500) -> RebuildResult:
    """Re-index one day from the archive. Idempotent (EventId is the record id); with
    `fresh`, the day's partition is dropped first."""
    archive = archive or Archive()
    prefix = audit_settings().index_prefix
    events = family(prefix)
    result = RebuildResult(events.partition(day))
    if fresh:
        store.drop_day(events, day)
    store.install([events])   # the store may have come back empty
    for chunk in _chunks(archive.read_day(day), batch):
        events = []
        for e in chunk:
            result.read += 1
            try:
                events.append(validate_event(e))
            except BadEvent:
                result.skipped += 1
        for r in store_events(store, events, prefix):
            if r.ok:
                result.stored += 1
            else:
                result.failed += 1
    return result

