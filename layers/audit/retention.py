"""Retention: daily partitions older than GZ_AUDIT_RETENTION_DAYS (365, as the seed says) are
dropped; the S3 archive keeps its own lifecycle (GZ_AUDIT_ARCHIVE_DAYS)."""
import datetime as dt
import logging
import time
from typing import List, Optional

from layers.audit import indices
from layers.audit.config import audit_settings
from layers.audit.document import family
from layers.search.store import SearchStore

log = logging.getLogger("guardzone.audit.retention")


def expired_days(days: List[dt.date], today: dt.date, keep: int) -> List[dt.date]:
    """Days `keep` or more before today (today counts as day 1 of `keep`)."""
    cutoff = today - dt.timedelta(days=keep)
    return [d for d in days if d <= cutoff]


def drop_expired(store: SearchStore, *, now_ms: Optional[int] = None, days: Optional[int] = None) -> List[str]:
    s = audit_settings()
    days = s.retention_days if days is None else days
    if days <= 0:
        return []
    today = indices.day_of(int(time.time() * 1000) if now_ms is None else now_ms)
    events = family(s.index_prefix)
    dropped = []
    for day in expired_days(store.days(events), today, days):
        if store.drop_day(events, day):
            log.info("dropped %s (older than %d days)", events.partition(day), days)
            dropped.append(events.partition(day))
    return dropped
