"""DescribeResources: the account's bastion resources (ID, licensed and used nodes, VPC, expiry).
ResourceIds, when given, overrides ApCode and VpcId. An ApCode that is not a region of the service
(layers/regions.py) is InvalidParameterValue, from the action's error table; with ResourceIds it is
ignored, as the seed says."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import filters, store, views
from layers import regions
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    ApCode: Optional[String] = None
    VpcId: Optional[String] = None
    ResourceIds: Optional[List[String]] = None
    Limit: Optional[Annotated[int, Field(ge=0, le=1000)]] = None
    Offset: Uint64 = 0


@action("DescribeResources", Input, region=REGION_IGNORED, resource_type="resource")
def handle(p: Input, ctx: RequestContext) -> dict:
    if p.ApCode and not p.ResourceIds and not regions.is_known(p.ApCode):
        raise invalid_value("ApCode", f"`{p.ApCode}` is not a region of this service; use one of "
                                      f"{', '.join(regions.REGIONS)}")
    found = filters.by_id(store.load_all(ctx.account, "resource"))
    if p.ResourceIds:
        wanted = set(p.ResourceIds)
        found = [r for r in found if r["ResourceId"] in wanted]
    else:
        found = [r for r in found if (not p.ApCode or r["ApCode"] == p.ApCode)
                 and (not p.VpcId or r.get("VpcId") == p.VpcId)]
    shown = filters.page(found, p.Offset, p.Limit if p.Limit is not None else len(found))
    return {"ResourceSet": [views.resource(r) for r in shown], "TotalCount": len(found)}
