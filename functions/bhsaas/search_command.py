"""SearchCommand: commands executed in the account's bastion sessions, newest first.

UserName, InstanceId, PublicIp and PrivateIp match exactly; RealName, DeviceName and Cmd are
case-insensitive substrings (Cmd base64-encoded when Encoding=1). EndTime defaults to now."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, session_log
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import DatetimeIso, Params, String, Uint64
from layers.search.query import Clause


class Input(Params):
    StartTime: DatetimeIso
    EndTime: Optional[DatetimeIso] = None
    UserName: Optional[String] = None
    RealName: Optional[String] = None
    InstanceId: Optional[String] = None
    DeviceName: Optional[String] = None
    PublicIp: Optional[String] = None
    PrivateIp: Optional[String] = None
    Cmd: Optional[String] = None
    Encoding: fields.choice(0, 1) = 0
    AuditAction: Optional[List[fields.AuditAction]] = None
    Limit: Annotated[int, Field(ge=0, le=200)] = 20
    Offset: Uint64 = 0


def clauses(p: Input) -> List[Clause]:
    own: List[Clause] = []
    if p.Cmd:
        cmd = fields.base64_text(p.Cmd, "Cmd") if p.Encoding == 1 else p.Cmd
        own.append(session_log.contains("Cmd", cmd))
    return session_log.session_clauses(p, own)


@action("SearchCommand", Input, region=REGION_IGNORED, resource_type="session")
def handle(p: Input, ctx: RequestContext) -> dict:
    total, found = session_log.search_page(session_log.COMMAND, ctx.account, p.StartTime, p.EndTime, clauses(p),
                                           p.Offset, p.Limit)
    return {"TotalCount": total, "Commands": found}
