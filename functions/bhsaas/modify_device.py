"""ModifyDevice: a device's management port, groups (replaced when given), department and network
domain (DomainId: kept and shown as Device.DomainId/DomainName; "" clears it)."""
from typing import Optional

from layers.bastion import checks, departments, fields, groups, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, Uint64


class Input(Params):
    Id: Uint64
    Port: Optional[fields.Port] = None
    GroupIdSet: Optional[fields.IdSet] = None
    DepartmentId: Optional[fields.DepartmentId] = None
    DomainId: Optional[fields.DomainId] = None


@action("ModifyDevice", Input, region=REGION_IGNORED, resource_type="device")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> str:
        rec = checks.require(tx.get("device", p.Id), p.Id, checks.DEVICE)
        if p.Port is not None:
            rec["Port"] = p.Port
        if p.GroupIdSet is not None:
            groups.set_membership(tx, groups.DEVICE_GROUPS, rec, p.GroupIdSet)
        if p.DepartmentId is not None:
            rec["DepartmentId"] = departments.check(tx, p.DepartmentId)
        if p.DomainId is not None:
            rec["DomainId"] = p.DomainId
        tx.put("device", rec)
        return rec.get("InstanceId") or str(rec["Id"])

    ctx.touched(store.transaction(ctx.account, write))
    return {}
