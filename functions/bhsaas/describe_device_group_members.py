"""DescribeDeviceGroupMembers: the devices in a group (Bound=true) or not in it (Bound=false);
Name is fuzzy over the device name and its IPs. IdSet is accepted as the SDK declares it and,
as documented there, has no effect when Id is given (Id is required)."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, filters, groups, views
from layers.bastion.snapshot import Snapshot
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Bool, Params, String, Uint64


class Input(Params):
    Id: Uint64
    Bound: Bool
    IdSet: Optional[fields.IdSet] = None
    Name: Optional[String] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20
    Kind: Optional[fields.Kind] = None
    DepartmentId: Optional[String] = None
    TagFilters: Optional[List[fields.TagFilter]] = None


@action("DescribeDeviceGroupMembers", Input, region=REGION_IGNORED, resource_type="devicegroup")
def handle(p: Input, ctx: RequestContext) -> dict:
    snap = Snapshot(ctx.account)
    snap.departments.check(p.DepartmentId)
    devices = [d for d in groups.members_of(snap, groups.DEVICE_GROUPS, p.Id, p.Bound)
               if filters.fuzzy(p.Name, d.get("Name"), d.get("PublicIp"), d.get("PrivateIp"))
               and (p.Kind is None or d["Kind"] == p.Kind) and filters.in_department(d, p.DepartmentId)
               and filters.tags_match(d.get("Tags", ()), p.TagFilters)]
    return {"TotalCount": len(devices),
            "DeviceSet": [views.device(d, snap) for d in filters.page(devices, p.Offset, p.Limit)]}
