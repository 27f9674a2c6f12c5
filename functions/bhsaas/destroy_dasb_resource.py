"""DestroyDasbResource: destroy a bastion resource; its devices become unbound and its VPC can
host a new service."""
from layers.bastion import cascade, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String


class Input(Params):
    ResourceId: String


@action("DestroyDasbResource", Input, region=REGION_IGNORED, resource_type="resource")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> None:
        rec = cascade.resource_by_rid(tx, p.ResourceId)
        cascade.remove_resource(tx, rec)

    store.transaction(ctx.account, write)
    ctx.touched(p.ResourceId)
    return {}
