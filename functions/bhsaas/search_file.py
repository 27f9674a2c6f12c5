"""SearchFile: file transfers in the account's bastion sessions, newest first.

UserName, InstanceId, PublicIp and PrivateIp match exactly; RealName and DeviceName are
case-insensitive substrings; FileName matches the current or new path as a substring. EndTime
defaults to now."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, session_log
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import DatetimeIso, Params, String, Uint64
from layers.search.query import AnyOf, Clause, Term

FileMethod = fields.choice(1, 2, 3, 4, 5, 6, 7, 8, 9)


class Input(Params):
    StartTime: DatetimeIso
    EndTime: Optional[DatetimeIso] = None
    UserName: Optional[String] = None
    RealName: Optional[String] = None
    InstanceId: Optional[String] = None
    DeviceName: Optional[String] = None
    PublicIp: Optional[String] = None
    PrivateIp: Optional[String] = None
    Method: Optional[List[FileMethod]] = None
    FileName: Optional[String] = None
    AuditAction: Optional[List[fields.AuditAction]] = None
    Limit: Annotated[int, Field(ge=0, le=200)] = 20
    Offset: Uint64 = 0


def clauses(p: Input) -> List[Clause]:
    own: List[Clause] = []
    if p.FileName:
        own.append(AnyOf((session_log.contains("FileCurr", p.FileName), session_log.contains("FileNew", p.FileName))))
    if p.Method:
        own.append(Term("Method", tuple(p.Method)))
    return session_log.session_clauses(p, own)


@action("SearchFile", Input, region=REGION_IGNORED, resource_type="session")
def handle(p: Input, ctx: RequestContext) -> dict:
    total, found = session_log.search_page(session_log.FILE, ctx.account, p.StartTime, p.EndTime, clauses(p),
                                           p.Offset, p.Limit)
    return {"TotalCount": total, "Files": found}
