"""Every minute: audit events that the queue could not take at request time go back onto it."""
import logging

from chalice import Blueprint

from layers.gateway.audit_emitter import drain_outbox

bp = Blueprint(__name__)
log = logging.getLogger("guardzone.audit")


@bp.schedule("rate(1 minute)", name="audit_outbox")
def audit_outbox(event):
    moved = drain_outbox()
    if moved:
        log.info("moved %d audit events from the outbox to the queue", moved)
    return {"moved": moved}
