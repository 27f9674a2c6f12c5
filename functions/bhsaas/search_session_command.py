"""SearchSessionCommand: the account's sessions that ran a command matching Cmd (a
case-insensitive substring, base64-encoded when Encoding=1) within [StartTime, EndTime], newest
session first, each with those commands (newest first) and their number. StartTime may not be
more than 180 days ago; EndTime defaults to now. TotalCount counts the sessions."""
from datetime import timedelta
from typing import Annotated, Optional

from pydantic import Field

from layers.bastion import fields, session_commands, session_log, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import DatetimeIso, Params, String, Uint64
from layers.search.default import default_store
from layers.search.query import Contains

MAX_AGE = timedelta(days=180)


class Input(Params):
    Cmd: Annotated[String, Field(min_length=1)]
    StartTime: DatetimeIso
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=200)] = 20
    Encoding: fields.choice(0, 1) = 0
    EndTime: Optional[DatetimeIso] = None


@action("SearchSessionCommand", Input, region=REGION_IGNORED, resource_type="session")
def handle(p: Input, ctx: RequestContext) -> dict:
    start, end = session_log.window(p.StartTime, p.EndTime)
    if start < times.now() - MAX_AGE:
        raise invalid_value("StartTime", "must not be earlier than 180 days ago")
    if start > end:
        raise invalid_value("EndTime", "must not be earlier than StartTime")
    cmd = fields.base64_text(p.Cmd, "Cmd") if p.Encoding == 1 else p.Cmd
    total, found = session_commands.sessions_with(default_store(), ctx.account, [Contains("Cmd", cmd)],
                                                  times.millis(start), times.millis(end), p.Offset, p.Limit)
    return {"TotalCount": total, "CommandSessionSet": found}
