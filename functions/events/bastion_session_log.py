"""Bastion session events (commands, file operations) from the session-log queue into the
OpenSearch indices SearchCommand and SearchFile read (layers/bastion/session_log.py).

A message that is not a session event is logged and dropped; if OpenSearch refuses part of a
batch the whole batch fails and comes back (documents are keyed by EventId, so indexing again
is harmless) until the queue's redrive policy moves it to the dead-letter queue."""
import json
import logging

from chalice import Blueprint
from opensearchpy import helpers

from layers.bastion import config, session_log
from layers.stores.opensearch import client

bp = Blueprint(__name__)
log = logging.getLogger("guardzone.bastion.session_log")


@bp.on_sqs_message(queue=config.session_log_queue(), batch_size=10, name="bastion_session_log")
def index_session_events(event):
    actions = []
    for record in event:
        try:
            index, doc_id, source = session_log.document(json.loads(record.body))
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning("dropped session-log message %s: %s", record.to_dict().get("messageId"), exc)
            continue
        actions.append({"_op_type": "index", "_index": index, "_id": doc_id, "_source": source})
    if not actions:
        return {"indexed": 0}
    indexed, errors = helpers.bulk(client(), actions, raise_on_error=False, refresh="wait_for")
    if errors:
        raise RuntimeError(f"OpenSearch refused {len(errors)} of {len(actions)} session events: {errors[:1]}")
    return {"indexed": indexed}
