"""Where an audit event goes when the queue refuses it for good (a sender fault, not an outage), so
that it never blocks the events behind it: an object in the archive bucket

    s3://<archive bucket>/audit-dead-letter/YYYY.MM.DD/<uuid>.json

or, if S3 cannot take it either, a line of `dead-letter.ndjson` in the spool folder. Each one is
counted (the `EventsDeadLettered` metric in the `Guardzone/Audit` namespace, which the
AuditDeadLetteredAlarm of infra/resources.json watches) and logged as an error.
"""
import datetime as dt
import logging
import os
import threading
import uuid

from layers import aws
from layers.config import settings

log = logging.getLogger("guardzone.audit")
PREFIX = "audit-dead-letter"
METRIC_NAMESPACE = "Guardzone/Audit"
METRIC_NAME = "EventsDeadLettered"

_lock = threading.Lock()
_count = 0


def count() -> int:
    """Events this process has dead-lettered."""
    return _count


def keep(body: bytes, reason: str) -> None:
    global _count
    with _lock:
        _count += 1
    key = f"{PREFIX}/{dt.datetime.now(dt.timezone.utc):%Y.%m.%d}/{uuid.uuid4().hex}.json"
    try:
        aws.client("s3").put_object(Bucket=settings().archive_bucket, Key=key, Body=body,
                                    Metadata={"reason": reason[:200]})
        where = f"s3://{settings().archive_bucket}/{key}"
    except Exception as exc:
        where = _keep_locally(body, f"{reason}; S3: {type(exc).__name__}")
    log.error("audit event dead-lettered (%s): %s", reason, where)
    try:
        aws.client("cloudwatch").put_metric_data(Namespace=METRIC_NAMESPACE, MetricData=[
            {"MetricName": METRIC_NAME, "Value": 1, "Unit": "Count"}])
    except Exception as exc:
        log.error("dead-letter metric not recorded (%s)", type(exc).__name__)


def _keep_locally(body: bytes, reason: str) -> str:
    directory = settings().audit_spool_dir
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "dead-letter.ndjson")
    line = body.replace(b"\n", b" ") + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return path


def stored(limit: int = 1000) -> list:
    """Keys of dead-lettered events in the archive bucket (for `guardzone audit status`)."""
    resp = aws.client("s3").list_objects_v2(Bucket=settings().archive_bucket, Prefix=PREFIX + "/", MaxKeys=limit)
    return [o["Key"] for o in resp.get("Contents", [])]
