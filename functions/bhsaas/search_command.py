"""SearchCommand: commands executed in the account's bastion sessions, newest first.

UserName, InstanceId, PublicIp and PrivateIp match exactly; RealName, DeviceName and Cmd are
case-insensitive substrings (Cmd base64-encoded when Encoding=1). EndTime defaults to now."""
import base64
import binascii
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, session_log
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import DatetimeIso, Params, String, Uint64


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


def clauses(p: Input) -> List[dict]:
    out = [session_log.exact(name, getattr(p, name)) for name in ("UserName", "InstanceId", "PublicIp", "PrivateIp")
           if getattr(p, name)]
    out += [session_log.contains(name, getattr(p, name)) for name in ("RealName", "DeviceName") if getattr(p, name)]
    if p.Cmd:
        cmd = p.Cmd
        if p.Encoding == 1:
            try:
                cmd = base64.b64decode(cmd, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise invalid_value("Cmd", "not base64 of UTF-8 text (Encoding=1)") from None
        out.append(session_log.contains("Cmd", cmd))
    if p.AuditAction:
        out.append({"terms": {"Action": p.AuditAction}})
    return out


@action("SearchCommand", Input, region=REGION_IGNORED, resource_type="session")
def handle(p: Input, ctx: RequestContext) -> dict:
    total, found = session_log.search_page(session_log.COMMAND, ctx.account, p.StartTime, p.EndTime, clauses(p),
                                           p.Offset, p.Limit)
    return {"TotalCount": total, "Commands": found}
