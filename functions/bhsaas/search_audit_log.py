"""SearchAuditLog: the bastion's audit log — who looked into which session's record and when
(layers/bastion/operation_log.py: SearchCommandBySid / SearchFileBySid calls that succeeded, as
replays, Operation 1), newest first.

StartTime is required and may not be more than 180 days ago (InvalidParameterValue); EndTime
defaults to now. Limit: default 20, at most 200; Offset + Limit at most 10 000."""
from datetime import timedelta
from typing import Annotated, Optional

from pydantic import Field

from layers.bastion import operation_log, session_log, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import DatetimeIso, Params, Uint64

MAX_DAYS = 180


class Input(Params):
    StartTime: DatetimeIso
    EndTime: Optional[DatetimeIso] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=200)] = 20


@action("SearchAuditLog", Input, region=REGION_IGNORED, resource_type="session")
def handle(p: Input, ctx: RequestContext) -> dict:
    session_log.check_page(p.Offset, p.Limit)
    start, end = session_log.window(p.StartTime, p.EndTime)
    if start < times.now() - timedelta(days=MAX_DAYS):
        raise invalid_value("StartTime", f"must not be more than {MAX_DAYS} days ago")
    if start > end:
        raise invalid_value("EndTime", "must not be earlier than StartTime")
    total, events = operation_log.search(ctx.account, times.millis(start), times.millis(end),
                                         operation_log.replays(ctx.account), p.Offset, p.Limit,
                                         lambda e: not operation_log.failed(e))
    return {"TotalCount": total, "AuditLogSet": operation_log.audit_log(ctx.account, events)}
