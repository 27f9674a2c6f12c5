"""Export queue -> one export task per message (layers/audit/exports.py), streamed into the
caller's bucket. A message whose store read failed comes back for another attempt."""
import json
import logging

from chalice import Blueprint

from layers.audit.config import audit_settings
from layers.search.default import default_store

bp = Blueprint(__name__)
log = logging.getLogger("guardzone.audit.export")


@bp.on_sqs_message(queue=audit_settings().export_queue, batch_size=1, name="audit_export")
def audit_export(event):
    # imported here, not at module level: app.py imports every function's module at each cold start
    from layers.audit import exports
    statuses = []
    for record in event:
        raw = record.to_dict()
        try:
            message = json.loads(record.body)
            account, task_id = str(message["Account"]), str(message["Id"])
        except (ValueError, KeyError, TypeError):
            log.error("export message %s is not an export task; dropped", raw.get("messageId"))
            continue
        receives = int((raw.get("attributes") or {}).get("ApproximateReceiveCount", 1))
        statuses.append(exports.run(account, task_id, default_store(), receive_count=receives))
    return {"statuses": statuses}
