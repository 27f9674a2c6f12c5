"""ModifyDasbResource: change a resource's edition, nodes, bandwidth packs or node packs.
Shrinking below the nodes already bound is refused (InvalidParameter)."""
from typing import Optional

from layers.bastion import billing, cascade, resources, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String


class Input(Params):
    ResourceId: String
    ResourceEdition: Optional[resources.Edition] = None
    ResourceNode: Optional[resources.NodeCount] = None
    MbpExp: Optional[resources.Pack] = None
    NodeExp: Optional[resources.Pack] = None


@action("ModifyDasbResource", Input, region=REGION_IGNORED, resource_type="resource")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> None:
        rec = cascade.resource_by_rid(tx, p.ResourceId)
        for name in ("ResourceEdition", "ResourceNode", "MbpExp", "NodeExp"):
            value = getattr(p, name)
            if value is not None:
                rec[name] = value
        if billing.nodes(rec) < rec.get("UsedNodes", 0):
            raise ApiError("InvalidParameter", f"Resource {p.ResourceId} has {rec['UsedNodes']} assets bound; "
                           f"{billing.nodes(rec)} nodes are too few.")
        tx.put("resource", rec)

    store.transaction(ctx.account, write)
    ctx.touched(p.ResourceId)
    return {}
