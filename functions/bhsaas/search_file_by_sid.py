"""SearchFileBySid: the file operations of one of the account's sessions, newest first.

FileName is a case-insensitive substring of the file's path (FileCurr) or its new path
(FileNew); AuditAction keeps operations by how the bastion handled them (1 done, 2 refused);
TypeFilters keep those of any of the given protocols (SFTP, SCP, RZSZ; case does not matter),
each with the given Methods only when Method is given. AuditLog (whether the console's "view"
made the call) is accepted: every call is audited anyway. SignValue stays null: records are not
signed."""
import json
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, session_commands, session_log, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Bool, Int64, Params, String, Uint64
from layers.search.default import default_store
from layers.search.query import DAY_MS, AllOf, AnyOf, Clause, Contains, Search, Term

FILES = session_log.FAMILIES[session_log.FILE]
_RESULT = ("Time", "Method", "Protocol", "FileCurr", "FileNew", "Size", "Action")


class TypeFilter(Params):
    Protocol: Annotated[String, Field(min_length=1)]
    Method: Optional[List[Int64]] = None


class Input(Params):
    Sid: Annotated[String, Field(min_length=1)]
    AuditLog: Optional[Bool] = None
    Limit: Annotated[int, Field(ge=0, le=200)] = 20
    FileName: Optional[String] = None
    Offset: Uint64 = 0
    AuditAction: Optional[fields.AuditAction] = None
    TypeFilters: Optional[List[TypeFilter]] = None


def clauses(p: Input) -> List[Clause]:
    out: List[Clause] = [Term("Sid", (p.Sid,))]
    if p.FileName:
        out.append(AnyOf((Contains("FileCurr", p.FileName), Contains("FileNew", p.FileName))))
    if p.AuditAction:
        out.append(Term("Action", (p.AuditAction,)))
    if p.TypeFilters:
        either = []
        for f in p.TypeFilters:
            protocol = Term("Protocol", (f.Protocol.upper(),))
            either.append(AllOf((protocol, Term("Method", tuple(dict.fromkeys(f.Method))))) if f.Method else protocol)
        out.append(AnyOf(tuple(either)) if len(either) > 1 else either[0])
    return out


def result(source: dict) -> dict:
    out = {k: source[k] for k in _RESULT if k in source}
    out["Time"] = times.iso(times.from_millis(source["Time"]))
    return out


@action("SearchFileBySid", Input, region=REGION_IGNORED, resource_type="session")
def handle(p: Input, ctx: RequestContext) -> dict:
    session_log.check_page(p.Offset, p.Limit)
    store = default_store()
    session = session_commands.session_of(store, ctx.account, p.Sid)
    now = times.millis(times.now())
    if session is not None:     # the session's days only
        lo = session["StartTime"] - session_commands.SLACK_MS
        hi = (session.get("EndTime") or now) + session_commands.SLACK_MS
    else:
        lo, hi = 0, now + DAY_MS
    found = store.search(Search(FILES, ctx.account, max(0, lo), hi, tuple(clauses(p)), size=p.Limit,
                                offset=p.Offset, count=True))
    return {"TotalCount": found.total, "SearchFileBySidResult": [result(json.loads(h.source)) for h in found.hits]}
