"""CreateWebTerminalTicket (Guardzone's own action, not in the SDK or the seed): the console's
H5 terminal (H5 运维) asks for a ticket to one host account, for the bastion user signed in to
the console; the browser then opens the gateway's WebSocket with it (docs/bastion.md, H5
terminal). The ticket is single use and lives 60 s; it names the user, the device account and
the terminal's size (Cols x Rows, 80 x 24 by default, at most 1000 x 500).

Only a console sign-in of a bastion user gets one (an API key of the account is no bastion
user: OperationDenied). The user must be able to log in (whitelist, lock, validity, hours:
OperationDenied) and an ACL must let it reach that account on that host
(UnauthorizedOperation.NoPermission, with the reason); a refusal is also a login event (Entry 3).
The gateway checks everything again when the ticket is used.

Url is the WebSocket's address where the deployment sets GZ_WEB_TERMINAL_URL, else empty: the
console then uses ws(s)://<its own host>:<Port>/."""
from datetime import datetime, timezone
from typing import Optional

from layers.bastion import operator_access, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, Uint64


class Input(Params):
    DeviceAccountId: Uint64
    Cols: Optional[Uint64] = None
    Rows: Optional[Uint64] = None


@action("CreateWebTerminalTicket", Input, region=REGION_IGNORED, resource_type="deviceaccount")
def handle(p: Input, ctx: RequestContext) -> dict:
    if not ctx.bastion_user:
        raise ApiError("OperationDenied", "Only a bastion user signed in to the console opens an H5 terminal.")
    text, info, grant = operator_access.ticket(ctx.account, ctx.bastion_user, p.DeviceAccountId,
                                               80 if p.Cols is None else p.Cols, 24 if p.Rows is None else p.Rows,
                                               ctx.source_ip)
    ctx.touched(str(p.DeviceAccountId))
    url, port = operator_access.endpoint()
    return {"Ticket": text, "ExpireTime": times.iso(datetime.fromtimestamp(info.expires, timezone.utc)),
            "Url": url, "Port": port, "Cols": info.cols, "Rows": info.rows,
            "Host": grant.host or "", "Account": grant.device_account["Account"],
            "DeviceName": grant.device.get("Name", "")}
