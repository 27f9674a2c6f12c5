"""DescribeRegions: the regions (and their zones) where VSMs can be bought."""
from layers.cloudhsm import catalog
from layers.cloudhsm.api import HsmNoParams, hsm_action
from layers.gateway.action import RequestContext


@hsm_action("DescribeRegions", HsmNoParams)
def handle(params: HsmNoParams, ctx: RequestContext) -> dict:
    regions = catalog.region_infos()
    return {"TotalCount": len(regions), "Regions": regions}
