"""Tracks: the track delivery queue -> files in the customers' buckets (layers/audit/track_delivery.py);
every minute, files not delivered yet are tried again; every GZ_AUDIT_TRACK_DIGEST_SECONDS (an hour)
each track writes its signed digest (layers/audit/track_digest.py)."""
import logging

from chalice import Blueprint

from layers.audit.config import audit_settings

bp = Blueprint(__name__)
log = logging.getLogger("guardzone.audit.tracks")


# A short window: an event reaches the bucket a few seconds after the indexer stored it.
@bp.on_sqs_message(queue=audit_settings().track_delivery_queue, batch_size=100,
                   maximum_batching_window_in_seconds=2, name="audit_track_delivery")
def audit_track_delivery(event):
    # imported here, not at module level: app.py imports every function's module at each cold start
    from layers.audit import track_delivery
    return track_delivery.deliver([r.body for r in event])


@bp.schedule("rate(1 minute)", name="audit_track_retry")
def audit_track_retry(event):
    from layers.audit import track_delivery
    return track_delivery.retry_pending()


@bp.schedule(f"rate({max(1, audit_settings().track_digest_seconds // 60)} minutes)", name="audit_track_digest")
def audit_track_digest(event):
    from layers.audit import track_digest
    return track_digest.run_all()
