"""SearchSession: the account's bastion sessions, active and finished, newest first.

Id, when given, is the only criterion (StartTime and Kind are then not required). Otherwise the
session started within [StartTime, EndTime] (EndTime defaults to now); UserName, Account,
FromIp, PublicIp and PrivateIp match exactly, RealName and DeviceName as case-insensitive
substrings; Kind and Status exactly."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, session_log, session_search, sessions, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid_value, missing
from layers.gateway.schema import DatetimeIso, Params, String, Uint64
from layers.search.default import default_store
from layers.search.query import Clause, Contains, Term

SessionStatus = fields.choice(1, 2, 3, 4)


class Input(Params):
    PrivateIp: Optional[String] = None
    PublicIp: Optional[String] = None
    UserName: Optional[Annotated[str, Field(max_length=20)]] = None
    Account: Optional[Annotated[str, Field(max_length=64)]] = None
    FromIp: Optional[String] = None
    StartTime: Optional[DatetimeIso] = None
    EndTime: Optional[DatetimeIso] = None
    Kind: Optional[fields.Kind] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=200)] = 20
    RealName: Optional[Annotated[str, Field(max_length=20)]] = None
    DeviceName: Optional[Annotated[str, Field(max_length=64)]] = None
    Status: Optional[SessionStatus] = None
    Id: Optional[String] = None


def clauses(p: Input) -> List[Clause]:
    out: List[Clause] = [Term(name, (getattr(p, name),))
                         for name in ("UserName", "Account", "FromIp", "PublicIp", "PrivateIp") if getattr(p, name)]
    out += [Contains(name, getattr(p, name)) for name in ("RealName", "DeviceName") if getattr(p, name)]
    out += [Term(name, (getattr(p, name),)) for name in ("Kind", "Status") if getattr(p, name) is not None]
    return out


@action("SearchSession", Input, region=REGION_IGNORED, resource_type="session")
def handle(p: Input, ctx: RequestContext) -> dict:
    session_log.check_page(p.Offset, p.Limit)
    store = default_store()
    if p.Id:
        found = session_search.by_id(store, ctx.account, p.Id, sessions.pending(ctx.account, p.Id))
        return {"TotalCount": len(found), "SessionSet": found[p.Offset:p.Offset + p.Limit]}
    if not p.StartTime:
        raise missing("StartTime")
    if p.Kind is None:
        raise missing("Kind")
    start, end = session_log.window(p.StartTime, p.EndTime)
    if start > end:
        raise invalid_value("EndTime", "must not be earlier than StartTime")
    total, found = session_search.search(store, ctx.account, times.millis(start), times.millis(end), clauses(p),
                                         p.Offset, p.Limit, sessions.all_pending(ctx.account))
    return {"TotalCount": total, "SessionSet": found}
