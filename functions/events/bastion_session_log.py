"""Bastion session events from the session-log queue into the search store: commands and file
operations (layers/bastion/session_log.py, read by SearchCommand, SearchFile, SearchCommandBySid
and SearchSessionCommand), finished sessions (sessions.py: SearchSession) and logins
(login_events.py: DescribeLoginEvent). A "batch" message carries several such events (the MySQL
proxy packs a session's statements, session_log.py); each is taken as if it had come alone.

A message that is none of these is logged and dropped; if the store refuses part of a batch the
whole batch fails and comes back (records are keyed by EventId, or a session's account and Sid,
so storing them again is harmless) until the queue's redrive policy moves it to the dead-letter
queue. Once a finished session is indexed, its item in the bastion table goes (sessions.settle)."""
import json
import logging
from typing import Tuple

from chalice import Blueprint

from layers.bastion import config, login_events, session_log, sessions
from layers.search.default import default_store, ensure_ready
from layers.search.query import Family, Record

bp = Blueprint(__name__)
log = logging.getLogger("guardzone.bastion.session_log")
_OTHERS = {sessions.SESSION: (sessions.FAMILY, sessions.record),
           login_events.LOGIN: (login_events.FAMILY, login_events.record)}


def parse(message) -> Tuple[Family, Record]:
    """The family and record of one message; ValueError (or TypeError) if it is not an event."""
    other = _OTHERS.get(message.get("Type"))
    if other is not None:
        return other[0], other[1](message)
    kind, rec = session_log.record(message)
    return session_log.FAMILIES[kind], rec


def events(message) -> list:
    """The events a message carries: itself, or a batch's Events."""
    if isinstance(message, dict) and message.get("Type") == session_log.BATCH:
        items = message.get("Events")
        if not isinstance(items, list):
            raise ValueError("a batch's Events must be a list")
        return items
    return [message]


@bp.on_sqs_message(queue=config.session_log_queue(), batch_size=10, name="bastion_session_log")
def index_session_events(event):
    by_family: dict = {}
    for record in event:
        try:
            items = events(json.loads(record.body))
        except (ValueError, TypeError) as exc:
            log.warning("dropped session-log message %s: %s", record.to_dict().get("messageId"), exc)
            continue
        for item in items:
            try:
                family, rec = parse(item)
            except (ValueError, TypeError, AttributeError) as exc:
                log.warning("dropped session-log message %s: %s", record.to_dict().get("messageId"), exc)
                continue
            by_family.setdefault(family, []).append(rec)
    store, stored = default_store(), 0
    for family, records in by_family.items():
        ensure_ready(store, [family])
        failed = [r for r in store.write(family, records) if not r.ok]
        if failed:
            raise RuntimeError(f"the search store refused {len(failed)} of {len(records)} session events: "
                               f"{failed[0].error}")
        stored += len(records)
        if family is sessions.FAMILY:
            store.refresh(family)       # searchable before the items that stood in for them go
            for rec in records:
                sessions.settle(rec.account, rec.fields["Sid"])
    return {"indexed": stored}
