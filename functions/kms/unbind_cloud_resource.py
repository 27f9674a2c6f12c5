"""UnbindCloudResource: forget that a cloud product's resource uses a CMK; a binding that is not
recorded is ResourceUnavailable.CloudResourceBindingNotFound. See layers/kms/bindings.py."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import bindings


class Input(Params):
    KeyId: String
    ProductId: String
    ResourceId: String


@action("UnbindCloudResource", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    bindings.check(p.ProductId, p.ResourceId)
    bindings.unbind(ctx, p.KeyId, p.ProductId, p.ResourceId)
    return {}
