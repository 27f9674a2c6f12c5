"""DescribeLoginEvent: logins to the account's bastion, newest first.

RealName and SourceIp are case-insensitive substrings. UserName is a substring of the user name,
or, when no other condition (RealName, SourceIp, Entry, Result) is given, of the user name or the
real name. Without StartTime every login up to EndTime (default: now) counts."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, login_events, session_log, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import DatetimeIso, Params, String, Uint64
from layers.search.default import default_store
from layers.search.query import AnyOf, Clause, Contains, Term


class Input(Params):
    UserName: Optional[String] = None
    RealName: Optional[String] = None
    StartTime: Optional[DatetimeIso] = None
    EndTime: Optional[DatetimeIso] = None
    SourceIp: Optional[String] = None
    Entry: Optional[fields.choice(*login_events.ENTRIES)] = None
    Result: Optional[fields.choice(*login_events.RESULTS)] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0)] = 20


def clauses(p: Input) -> List[Clause]:
    out: List[Clause] = [Contains(name, getattr(p, name)) for name in ("RealName", "SourceIp") if getattr(p, name)]
    out += [Term(name, (getattr(p, name),)) for name in ("Entry", "Result") if getattr(p, name) is not None]
    if p.UserName:
        by_name = Contains("UserName", p.UserName)
        out.append(by_name if out else AnyOf((by_name, Contains("RealName", p.UserName))))
    return out


@action("DescribeLoginEvent", Input, region=REGION_IGNORED, resource_type="user")
def handle(p: Input, ctx: RequestContext) -> dict:
    start = times.parse(p.StartTime) if p.StartTime else times.from_millis(0)
    end = times.parse(p.EndTime) if p.EndTime else times.now()
    if start > end:
        raise invalid_value("EndTime", "must not be earlier than StartTime")
    session_log.check_page(p.Offset, p.Limit)
    total, found = login_events.search(default_store(), ctx.account, times.millis(start), times.millis(end),
                                       clauses(p), p.Offset, p.Limit)
    return {"TotalCount": total, "LoginEventSet": found}
