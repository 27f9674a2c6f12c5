"""SearchCommandBySid: the commands of one of the account's sessions, newest first.

Cmd is a case-insensitive substring (base64-encoded when Encoding=1); AuditAction keeps commands
by how they were handled (1 allowed, 2 denied, 3 confirmed). Size is the session's, once it has
ended."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, session_commands, session_log
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String, Uint64
from layers.search.default import default_store
from layers.search.query import Clause, Contains, Term

CommandAction = fields.choice(1, 2, 3)


class Input(Params):
    Sid: Annotated[String, Field(min_length=1)]
    Cmd: Optional[String] = None
    Encoding: fields.choice(0, 1) = 0
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=200)] = 20
    AuditAction: Optional[List[CommandAction]] = None


def clauses(p: Input) -> List[Clause]:
    out: List[Clause] = []
    if p.Cmd:
        out.append(Contains("Cmd", fields.base64_text(p.Cmd, "Cmd") if p.Encoding == 1 else p.Cmd))
    if p.AuditAction:
        out.append(Term("Action", tuple(p.AuditAction)))
    return out


@action("SearchCommandBySid", Input, region=REGION_IGNORED, resource_type="session")
def handle(p: Input, ctx: RequestContext) -> dict:
    session_log.check_page(p.Offset, p.Limit)
    store = default_store()
    total, found = session_commands.by_sid(store, ctx.account, p.Sid, clauses(p), p.Offset, p.Limit,
                                           session_commands.session_of(store, ctx.account, p.Sid))
    return {"TotalCount": total, "CommandSet": found}
