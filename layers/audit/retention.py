"""Retention: daily indices older than GZ_AUDIT_RETENTION_DAYS (365, as the seed says) are
dropped, and a month of the value-days digest once all its days are; the S3 archive keeps its
own lifecycle (GZ_AUDIT_ARCHIVE_DAYS)."""
import datetime as dt
import logging
import time
from typing import List, Optional

from layers.audit import indices, value_days
from layers.audit.config import audit_settings
from layers.audit.store import EventStore

log = logging.getLogger("guardzone.audit.retention")


def expired_indices(names: List[str], prefix: str, today: dt.date, days: int) -> List[str]:
    """Indices whose day is `days` or more before today (today counts as day 1 of `days`)."""
    cutoff = today - dt.timedelta(days=days)
    out = []
    for name in names:
        day = indices.parse_index(prefix, name)
        if day is not None and day <= cutoff:
            out.append(name)
    return out


def drop_expired(store: EventStore, *, now_ms: Optional[int] = None, days: Optional[int] = None) -> List[str]:
    s = audit_settings()
    days = s.retention_days if days is None else days
    if days <= 0:
        return []
    today = indices.day_of(int(time.time() * 1000) if now_ms is None else now_ms)
    dropped = []
    expired = (expired_indices(store.list_indices(f"{s.index_prefix}-*"), s.index_prefix, today, days)
               + value_days.expired(store.list_indices(value_days.pattern(s.index_prefix)), s.index_prefix,
                                    today - dt.timedelta(days=days)))
    for name in expired:
        if store.delete_index(name):
            log.info("dropped %s (older than %d days)", name, days)
            dropped.append(name)
    return dropped
