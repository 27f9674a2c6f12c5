"""ListAlgorithms: the key usages and algorithms this region offers (the same everywhere)."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import NoParams
from layers.kms import usages


@action("ListAlgorithms", NoParams, region=REGION_OPTIONAL, signature_only=True)
def handle(p: NoParams, ctx: RequestContext) -> dict:
    return usages.algorithms()
