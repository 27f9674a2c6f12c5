"""BindDeviceResource: bind devices to a bastion resource (moving them from the one they had).

An unknown or expired ResourceId is InvalidParameter.ResourceId; binding more devices than the
resource's licensed nodes is LimitExceeded. DomainId, when given, becomes the devices' network
domain (Device.DomainId/DomainName)."""
from typing import Optional

from layers.bastion import billing, cascade, checks, fields, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String


class Input(Params):
    DeviceIdSet: fields.RequiredIdSet
    ResourceId: String
    DomainId: Optional[fields.DomainId] = None


@action("BindDeviceResource", Input, region=REGION_IGNORED, resource_type="device")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> None:
        resource = cascade.resources_by_rid(tx).get(p.ResourceId)
        if resource is None or billing.expired(resource):
            raise ApiError("InvalidParameter.ResourceId",
                           f"Resource `{p.ResourceId}` does not exist or has expired.")
        found = checks.require_all(tx.get_many("device", p.DeviceIdSet), p.DeviceIdSet, checks.DEVICE)
        cascade.bind(tx, found, resource)
        if p.DomainId is not None:
            for rec in found:
                rec["DomainId"] = p.DomainId
                tx.put("device", rec)

    store.transaction(ctx.account, write)
    ctx.touched(p.ResourceId, *(str(i) for i in p.DeviceIdSet))
    return {}
