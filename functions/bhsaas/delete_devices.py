"""DeleteDevices: remove devices with their accounts (and hosted credentials), their group
memberships, their places in ACLs and their nodes on the bound resource. A device removed while
it is still in the cloud inventory comes back with the next asset sync."""
from layers.bastion import cascade, checks, fields, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    IdSet: fields.RequiredIdSet


@action("DeleteDevices", Input, region=REGION_IGNORED, resource_type="device")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> list:
        found = checks.require_all(tx.get_many("device", p.IdSet), p.IdSet, checks.DEVICE)
        cascade.remove_devices(tx, {d["Id"]: d for d in found})
        return [d.get("InstanceId") or str(d["Id"]) for d in found]

    ctx.touched(*store.transaction(ctx.account, write))
    return {}
