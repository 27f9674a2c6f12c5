"""DescribeSupportedHsm: manufacturers, their HSM models and the VSM types each model hosts,
in the request's region (empty where CloudHSM is not offered)."""
from layers.cloudhsm import catalog
from layers.gateway.action import RequestContext, action
from layers.gateway.schema import NoParams


@action("DescribeSupportedHsm", NoParams)
def handle(params: NoParams, ctx: RequestContext) -> dict:
    return {"DeviceTypes": catalog.device_infos() if catalog.region(ctx.region) else []}
