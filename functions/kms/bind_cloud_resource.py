"""BindCloudResource: record that a cloud product's resource uses a CMK (again: nothing changes).
A bound CMK cannot be scheduled for deletion; binding clears the ValidTo of imported material.
See layers/kms/bindings.py."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import bindings


class Input(Params):
    KeyId: String
    ProductId: String
    ResourceId: String


@action("BindCloudResource", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    bindings.check(p.ProductId, p.ResourceId)
    bindings.bind(ctx, p.KeyId, p.ProductId, p.ResourceId)
    return {}
