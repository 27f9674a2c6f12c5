"""DescribeOperationEvent: the bastion's operation log — every call of this account that changed
something in the bastion (failed ones too), newest first, from the audit trail
(layers/bastion/operation_log.py has the fields and where they come from).

Filters: StartTime/EndTime (ISO 8601; EndTime defaults to now, StartTime to 180 days before
it); SourceIp a substring of the caller's address; Kind the area acted on (1 users, 2 user
groups, 3 assets, 4 asset groups, 5 asset accounts, 6 access permissions, 7 command templates,
8 resources, 9 password rotation, 0 anything else; the SDK points at DescribeOperationType, which
it does not have); Result 1 succeeded, 2 failed; RealName a case-insensitive substring of the
CAM user's name; UserName a case-insensitive substring of the caller's uin, or (without RealName,
as the SDK describes) of the uin or the name. Limit: default 20, at most 500;
Offset + Limit at most 10 000."""
from datetime import timedelta
from typing import Annotated, Optional

from pydantic import Field

from layers.bastion import fields, filters, operation_log, session_log, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import DatetimeIso, Params, String, Uint64

DEFAULT_DAYS = 180


class Input(Params):
    UserName: Optional[String] = None
    RealName: Optional[String] = None
    StartTime: Optional[DatetimeIso] = None
    EndTime: Optional[DatetimeIso] = None
    SourceIp: Optional[String] = None
    Kind: Optional[fields.choice(operation_log.OTHER, *operation_log.KINDS)] = None
    Result: Optional[fields.choice(1, 2)] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20


@action("DescribeOperationEvent", Input, region=REGION_IGNORED, resource_type="operation")
def handle(p: Input, ctx: RequestContext) -> dict:
    session_log.check_page(p.Offset, p.Limit)
    end = times.parse(p.EndTime) if p.EndTime else times.now()
    start = times.parse(p.StartTime) if p.StartTime else end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise invalid_value("EndTime", "must not be earlier than StartTime")
    account = ctx.account
    where = list(operation_log.writes(account))
    if p.SourceIp:
        where.append(operation_log.contains(account, "SourceIPAddress", p.SourceIp))
    if p.Kind is not None and p.Kind != operation_log.OTHER:
        where.append(operation_log.kind_clause(account, p.Kind))
    only_user = bool(p.UserName) and not p.RealName
    if p.UserName and not only_user:
        where.append(operation_log.contains(account, "Username", p.UserName))
    real_names: dict = {}

    def keep(event: dict) -> bool:
        if p.Kind == operation_log.OTHER and operation_log.kind_of(event) != operation_log.OTHER:
            return False
        if p.Result and (2 if operation_log.failed(event) else 1) != p.Result:
            return False
        if p.RealName or only_user:
            uin = event.get("Username") or ""
            if uin not in real_names:
                real_names.update(operation_log.names(account, [event]))
                real_names.setdefault(uin, "")
            if p.RealName and not filters.fuzzy(p.RealName, real_names[uin]):
                return False
            if only_user and not filters.fuzzy(p.UserName, uin, real_names[uin]):
                return False
        return True

    checked = p.Kind == operation_log.OTHER or p.Result or p.RealName or only_user
    total, events = operation_log.search(account, times.millis(start), times.millis(end), where, p.Offset, p.Limit,
                                         keep if checked else None)
    shown = operation_log.names(account, events)
    return {"TotalCount": total, "OperationEventSet": [operation_log.operation_event(e, shown) for e in events]}
