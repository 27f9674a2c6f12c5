"""Bastion session events (commands, file operations) from the session-log queue into the
search store's partitions SearchCommand and SearchFile read (layers/bastion/session_log.py).

A message that is not a session event is logged and dropped; if the store refuses part of a
batch the whole batch fails and comes back (records are keyed by EventId, so storing them again
is harmless) until the queue's redrive policy moves it to the dead-letter queue."""
import json
import logging

from chalice import Blueprint

from layers.bastion import config, session_log
from layers.search.default import default_store, ensure_ready

bp = Blueprint(__name__)
log = logging.getLogger("guardzone.bastion.session_log")


@bp.on_sqs_message(queue=config.session_log_queue(), batch_size=10, name="bastion_session_log")
def index_session_events(event):
    by_kind: dict = {}
    for record in event:
        try:
            kind, rec = session_log.record(json.loads(record.body))
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning("dropped session-log message %s: %s", record.to_dict().get("messageId"), exc)
            continue
        by_kind.setdefault(kind, []).append(rec)
    store, stored = default_store(), 0
    for kind, records in by_kind.items():
        family = session_log.FAMILIES[kind]
        ensure_ready(store, [family])
        failed = [r for r in store.write(family, records) if not r.ok]
        if failed:
            raise RuntimeError(f"the search store refused {len(failed)} of {len(records)} session events: "
                               f"{failed[0].error}")
        stored += len(records)
    return {"indexed": stored}
