"""DescribeDevices: the account's assets, filtered and paged.

IdSet overrides the other filters. Name is fuzzy over the asset name, its IPs and instance id;
Kind and KindSet together allow any of their kinds; AuthorizedUserIdSet keeps devices some ACL
lets one of the users reach (through groups too); TagFilters must all hold; ManagedAccount "1"
keeps devices with at least one account, "0" those without. Ip is accepted and unused, as the
documentation says."""
from typing import Annotated, List, Literal, Optional

from pydantic import Field

from layers.bastion import fields, filters, views
from layers.bastion.snapshot import Snapshot
from layers.gateway.errors import invalid_value
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    IdSet: Optional[fields.IdSet] = None
    Name: Optional[String] = None
    Ip: Optional[String] = None
    ApCodeSet: Optional[List[String]] = None
    Kind: Optional[fields.Kind] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=1000)] = 20
    AuthorizedUserIdSet: Optional[fields.IdSet] = None
    ResourceIdSet: Optional[List[String]] = None
    KindSet: Optional[List[fields.Kind]] = None
    ManagedAccount: Optional[Literal["0", "1"]] = None
    DepartmentId: Optional[String] = None
    TagFilters: Optional[List[fields.TagFilter]] = None
    Filters: Optional[List[filters.Filter]] = None


# Filters (Name: Values, any value matches; every filter must hold): BindingStatus "1" bound to a
# resource, "0" not bound; Name fuzzy over name, IPs and instance id; Ip and InstanceId exact.
FILTERS = {
    "BindingStatus": lambda d, v: v in ("0", "1") and bool(d.get("ResourceId")) == (v == "1"),
    "Name": lambda d, v: filters.fuzzy(v, d.get("Name"), d.get("PublicIp"), d.get("PrivateIp"), d.get("InstanceId")),
    "Ip": lambda d, v: v in (d.get("PublicIp"), d.get("PrivateIp")) and bool(v),
    "InstanceId": lambda d, v: bool(v) and d.get("InstanceId") == v,
}


def matching(p: Input, snap: Snapshot) -> List[dict]:
    filters.check_filters(p.Filters, FILTERS)
    for n, f in enumerate(p.Filters or ()):
        if f.Name == "BindingStatus" and set(f.Values) - {"0", "1"}:
            raise invalid_value(f"Filters.{n}.Values", "BindingStatus is 0 (not bound) or 1 (bound)")
    snap.departments.check(p.DepartmentId)
    devices = filters.by_id(snap.devices)
    if p.IdSet:
        wanted = set(p.IdSet)
        return [d for d in devices if d["Id"] in wanted]
    kinds = set(p.KindSet or ()) | ({p.Kind} if p.Kind is not None else set())
    regions = set(p.ApCodeSet or ())
    resources = {r for r in p.ResourceIdSet or () if snap.resource_by_rid(r)}
    reach = snap.devices_reached_by(p.AuthorizedUserIdSet) if p.AuthorizedUserIdSet else None
    counts = snap.account_counts() if p.ManagedAccount else None
    out = []
    for d in devices:
        if p.Name and not filters.fuzzy(p.Name, d.get("Name"), d.get("PublicIp"), d.get("PrivateIp"),
                                         d.get("InstanceId")):
            continue
        if (kinds and d["Kind"] not in kinds) or (regions and d.get("ApCode") not in regions):
            continue
        if p.ResourceIdSet and d.get("ResourceId") not in resources:
            continue
        if reach is not None and d["Id"] not in reach:
            continue
        if counts is not None and (counts.get(d["Id"], 0) > 0) != (p.ManagedAccount == "1"):
            continue
        if not (filters.in_department(d, p.DepartmentId) and filters.tags_match(d.get("Tags", ()), p.TagFilters)):
            continue
        out.append(d)
    return filters.by_filters(out, p.Filters, FILTERS)


@action("DescribeDevices", Input, region=REGION_IGNORED, resource_type="device")
def handle(p: Input, ctx: RequestContext) -> dict:
    snap = Snapshot(ctx.account)
    devices = matching(p, snap)
    return {"TotalCount": len(devices),
            "DeviceSet": [views.device(d, snap) for d in filters.page(devices, p.Offset, p.Limit)]}
