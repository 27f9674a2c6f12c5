"""Audit queue -> archive + daily indices (layers/audit/indexer.py): batches, idempotent by
EventId, and only the messages that failed come back (see `settle`)."""
import logging

from chalice import Blueprint

from layers.audit.indexer import Indexer, messages_of, settle
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
    records = [r.to_dict() for r in event]
    if not records:
        return {"indexed": 0}
    messages = messages_of(records)
    outcome = Indexer(default_store()).process(messages)
    settle(records[0]["eventSourceARN"], messages, outcome)
    return {"indexed": len(outcome.succeeded)}
