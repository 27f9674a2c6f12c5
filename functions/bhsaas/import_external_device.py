"""ImportExternalDevice: add hosts that are not in the cloud inventory (by IP and port).

A device with the same IP and port already in the account is FailedOperation.DuplicateData."""
from typing import Annotated, List, Literal, Optional

from pydantic import Field

from layers.bastion import devices, fields, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String


class ExternalDevice(Params):
    OsName: Literal["Linux", "Windows", "MySQL"]
    Ip: fields.IpAddress
    Port: fields.Port
    Name: Optional[Annotated[String, Field(max_length=128)]] = None
    DepartmentId: Optional[fields.DepartmentId] = None


class Input(Params):
    DeviceSet: Annotated[List[ExternalDevice], Field(min_length=1, max_length=200)]


@action("ImportExternalDevice", Input, region=REGION_IGNORED, resource_type="device")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> List[int]:
        taken = devices.taken_endpoints(tx.all("device").values())
        ids = tx.new_ids("device", len(p.DeviceSet))
        for rid, ext in zip(ids, p.DeviceSet):
            rec = devices.external(rid, ext.OsName, ext.Ip, ext.Port, ext.Name or "", ext.DepartmentId or "")
            if devices.endpoints(rec) & taken:
                raise ApiError("FailedOperation.DuplicateData", f"A device at {ext.Ip}:{ext.Port} already exists.")
            taken |= devices.endpoints(rec)
            tx.put("device", rec)
        return ids

    ids = store.transaction(ctx.account, write)
    ctx.touched(*(f"{d.Ip}:{d.Port}" for d in p.DeviceSet))
    return {"DeviceIdSet": ids}
