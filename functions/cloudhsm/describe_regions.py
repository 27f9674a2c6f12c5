"""DescribeRegions: the regions (and their zones) where VSMs can be bought."""
from layers.cloudhsm import catalog
from layers.gateway.action import RequestContext, action
from layers.gateway.schema import NoParams


@action("DescribeRegions", NoParams)
def handle(params: NoParams, ctx: RequestContext) -> dict:
    regions = catalog.region_infos()
    return {"TotalCount": len(regions), "Regions": regions}
