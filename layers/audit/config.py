"""CloudAudit settings, read from GZ_AUDIT_* environment variables (names derive from
GZ_RESOURCE_PREFIX like the rest of the project)."""
import os
from typing import Optional

from layers.config import settings


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


class AuditSettings:
    def __init__(self) -> None:
        base = settings()
        self.base = base
        env = os.environ.get
        self.prefix = base.prefix
        self.dead_letter_queue = f"{base.prefix}-audit-dlq"      # the audit queue's (infra/resources.json)
        # Daily indices "traillog_server_log-YYYY.MM.DD" (UTC days), as the seed names them.
        self.index_prefix = env("GZ_AUDIT_INDEX_PREFIX", "traillog_server_log")
        self.retention_days = _int("GZ_AUDIT_RETENTION_DAYS", 365)
        # S3 archive of raw events; its objects expire after this many days (0: never).
        self.archive_bucket = env("GZ_AUDIT_ARCHIVE_BUCKET", base.archive_bucket)
        self.archive_prefix = env("GZ_AUDIT_ARCHIVE_PREFIX", "traillog")
        self.archive_days = _int("GZ_AUDIT_ARCHIVE_DAYS", 3 * 365)
        # A message that failed because the store was unavailable comes back after
        # base * 2^(receives-1) seconds, at most max.
        self.retry_base_seconds = _int("GZ_AUDIT_RETRY_BASE_SECONDS", 5)
        self.retry_max_seconds = _int("GZ_AUDIT_RETRY_MAX_SECONDS", 900)
        self.store_timeout = _float("GZ_AUDIT_STORE_TIMEOUT", 10.0)
        # Export tasks
        self.export_table = env("GZ_AUDIT_EXPORT_TABLE", f"{base.prefix}-audit-exports")
        self.export_queue = env("GZ_AUDIT_EXPORT_QUEUE", f"{base.prefix}-audit-export")
        self.export_page_size = _int("GZ_AUDIT_EXPORT_PAGE_SIZE", 1000)
        self.export_part_bytes = max(5 * 1024 * 1024, _int("GZ_AUDIT_EXPORT_PART_BYTES", 8 * 1024 * 1024))
        # Tracks (跟踪集, layers/audit/tracks.py)
        self.track_table = env("GZ_AUDIT_TRACK_TABLE", f"{base.prefix}-audit-tracks")
        # Track delivery and digests (layers/audit/track_delivery.py, track_digest.py)
        self.track_delivery_queue = env("GZ_AUDIT_TRACK_DELIVERY_QUEUE", f"{base.prefix}-audit-track-delivery")
        self.track_delivery_table = env("GZ_AUDIT_TRACK_DELIVERY_TABLE", f"{base.prefix}-audit-track-delivery")
        self.track_staging_prefix = env("GZ_AUDIT_TRACK_STAGING_PREFIX", "track-staging")
        self.track_cache_seconds = _float("GZ_AUDIT_TRACK_CACHE_SECONDS", 5.0)
        self.track_digest_seconds = max(60, _int("GZ_AUDIT_TRACK_DIGEST_SECONDS", 3600))
        self.track_digest_margin_seconds = _float("GZ_AUDIT_TRACK_DIGEST_MARGIN_SECONDS", 30.0)
        # NextToken signing key; when unset, one random key is kept in the export table.
        self.token_key = env("GZ_AUDIT_TOKEN_KEY", "")


_current: Optional[AuditSettings] = None


def audit_settings() -> AuditSettings:
    """Re-read whenever the project settings were reloaded (layers.config.reload_settings)."""
    global _current
    if _current is None or _current.base is not settings():
        _current = AuditSettings()
    return _current


def reload_audit_settings() -> AuditSettings:
    global _current
    _current = None
    return audit_settings()
