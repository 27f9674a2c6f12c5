"""Audit queue -> archive + daily indices (layers/audit/indexer.py): batches, idempotent by
EventId, and only the messages that failed come back (see `settle`). The stored events that a
logging track delivers go on to the track delivery queue (layers/audit/track_delivery.py)."""
import logging

from chalice import Blueprint

from layers.search.default import default_store
from layers.config import settings

bp = Blueprint(__name__)
log = logging.getLogger("guardzone.audit.indexer")


# Large batches within a second: each batch is one archive object and one store write (the
# embedded store commits once per write, OpenSearch takes one bulk request), so the cost per
# event falls with the batch; a quiet queue still delivers within the window.
@bp.on_sqs_message(queue=settings().audit_queue, batch_size=1000, maximum_batching_window_in_seconds=1,
                   name="audit_indexer")
def audit_indexer(event):
    # imported here, not at module level: app.py imports every function's module at each cold start
    from layers.audit import track_delivery
    from layers.audit.indexer import Indexer, messages_of, settle
    records = [r.to_dict() for r in event]
    if not records:
        return {"indexed": 0}
    messages = messages_of(records)
    outcome = Indexer(default_store()).process(messages)
    track_delivery.forward(messages, outcome)     # what logging tracks deliver, before the batch is acknowledged
    settle(records[0]["eventSourceARN"], messages, outcome)
    return {"indexed": len(outcome.succeeded)}
