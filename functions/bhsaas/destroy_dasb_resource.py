"""DestroyDasbResource: destroy a bastion resource; its devices become unbound and its VPC can
host a new service.

Its error table (the seed) has InvalidParameter, InternalError and
TradeUnknownError.RequestBillingFailed: a ResourceId that is not one of the caller's resources
(none such, another account's, or already destroyed) is InvalidParameter, and nothing changes."""
from layers.bastion import cascade, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid
from layers.gateway.schema import Params, String


class Input(Params):
    ResourceId: String


@action("DestroyDasbResource", Input, region=REGION_IGNORED, resource_type="resource")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> None:
        rec = cascade.resources_by_rid(tx).get(p.ResourceId)
        if rec is None:
            raise invalid("ResourceId", f"`{p.ResourceId}` is not a bastion resource of this account")
        cascade.remove_resource(tx, rec)

    store.transaction(ctx.account, write)
    ctx.touched(p.ResourceId)
    return {}
