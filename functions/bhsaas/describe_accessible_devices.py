"""DescribeAccessibleDevices (Guardzone's own action, not in the SDK or the seed): the hosts a
bastion user may open a session to now, each with the accounts it may use there — the console's
H5 运维 host list, decided by the gateway's own rules (user state and hours, the device bound to
an active resource, ACLs in effect through users, groups, devices and device groups, AccountSet
or AllowAnyAccount). Database devices are left out (they are reached through the MySQL proxy).

Signed in to the console as a bastion user, the list is that user's (UserName, if given, must be
the same); an administrator's key names the user with UserName."""
from typing import Annotated, Optional

from pydantic import Field

from layers.bastion import filters, operator_access
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError, missing
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    UserName: Optional[String] = None
    Name: Optional[String] = None          # fuzzy: the device's name, instance id or IP
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20


def _device(entry: dict) -> dict:
    d = entry["device"]
    return {"Id": d["Id"], "InstanceId": d.get("InstanceId", ""), "Name": d.get("Name", ""),
            "PublicIp": d.get("PublicIp", ""), "PrivateIp": d.get("PrivateIp", ""), "ApCode": d.get("ApCode", ""),
            "OsName": d.get("OsName", ""), "Kind": d.get("Kind", 1), "Port": int(d.get("Port") or 22),
            "AccountSet": [{"Id": a["Id"], "Account": a["Account"]} for a in entry["accounts"]]}


@action("DescribeAccessibleDevices", Input, region=REGION_IGNORED, resource_type="device")
def handle(p: Input, ctx: RequestContext) -> dict:
    user_name = ctx.bastion_user or p.UserName
    if not user_name:
        raise missing("UserName")
    if ctx.bastion_user and p.UserName and p.UserName != ctx.bastion_user:
        raise ApiError("UnauthorizedOperation.NoPermission", "A bastion user sees only the hosts it may reach itself.")
    found = [e for e in operator_access.hosts(ctx.account, user_name)
             if not p.Name or any(filters.fuzzy(p.Name, e["device"].get(f) or "")
                                  for f in ("Name", "InstanceId", "PrivateIp", "PublicIp"))]
    return {"TotalCount": len(found), "DeviceSet": [_device(e) for e in filters.page(found, p.Offset, p.Limit)]}
