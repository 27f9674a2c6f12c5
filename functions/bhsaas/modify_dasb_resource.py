"""ModifyDasbResource: change a resource's edition, nodes, bandwidth packs or node packs.
Shrinking below the nodes already bound is refused (InvalidParameter)."""
from typing import Optional

from layers.bastion import cascade, resources, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
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
        resources.apply_changes(rec, {name: getattr(p, name) for name in ("ResourceEdition", "ResourceNode",
                                                                          "MbpExp", "NodeExp")})
        tx.put("resource", rec)

    store.transaction(ctx.account, write)
    ctx.touched(p.ResourceId)
    return {}
