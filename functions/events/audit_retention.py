"""Daily: drop audit indices older than the retention period (365 days) and keep the archive's
lifecycle rule in place."""
import logging

from chalice import Blueprint

from layers.search.default import default_store

bp = Blueprint(__name__)
log = logging.getLogger("guardzone.audit.retention")


@bp.schedule("rate(1 day)", name="audit_retention")
def audit_retention(event):
    # imported here, not at module level: app.py imports every function's module at each cold start
    from layers.audit.archive import Archive
    from layers.audit.retention import drop_expired
    dropped = drop_expired(default_store())
    try:
        rule = Archive().ensure_lifecycle()
    except Exception as exc:  # the next run tries again; dropping indices does not depend on it
        log.warning("archive lifecycle not updated: %s", exc)
        rule = None
    return {"dropped": dropped, "archiveExpirationDays": (rule or {}).get("Expiration", {}).get("Days", 0)}
