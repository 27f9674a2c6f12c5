"""ModifyResource: change a resource's edition, licensed nodes, auto-renewal, bandwidth and node
packs and log delivery (the SDK's newer counterpart of ModifyDasbResource, with the SDK's names:
PackageBandwidth is the bandwidth packs, PackageNode the 50-node packs, AutoRenewFlag the
RenewFlag DescribeResources shows).

Status and ModuleSet are marked deprecated ("已废弃") in the SDK: accepted and not used (the
status follows from deployment and expiry; ModuleSet from the edition). LogDelivery 0/1 is kept
and shown as Resource.LogDelivery ("0"/"1"); nothing is delivered anywhere by it (every call is
in CloudAudit already). A ResourceId that is not one of the caller's resources is
ResourceNotFound; fewer licensed nodes than the assets bound is InvalidParameter, and nothing
changes."""
from typing import List, Optional

from layers.bastion import cascade, fields, resources, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String


class Input(Params):
    ResourceId: String
    Status: Optional[String] = None
    ModuleSet: Optional[List[String]] = None
    ResourceEdition: Optional[resources.Edition] = None
    ResourceNode: Optional[resources.NodeCount] = None
    AutoRenewFlag: Optional[fields.choice(0, 1, 2)] = None
    PackageBandwidth: Optional[resources.Pack] = None
    PackageNode: Optional[resources.Pack] = None
    LogDelivery: Optional[fields.choice(0, 1)] = None


@action("ModifyResource", Input, region=REGION_IGNORED, resource_type="resource")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> None:
        rec = cascade.resource_by_rid(tx, p.ResourceId)
        resources.apply_changes(rec, {"ResourceEdition": p.ResourceEdition, "ResourceNode": p.ResourceNode,
                                      "RenewFlag": p.AutoRenewFlag, "MbpExp": p.PackageBandwidth,
                                      "NodeExp": p.PackageNode, "LogDelivery": p.LogDelivery})
        tx.put("resource", rec)

    store.transaction(ctx.account, write)
    ctx.touched(p.ResourceId)
    return {}
