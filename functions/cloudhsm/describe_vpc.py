"""DescribeVpc: the caller's VPCs in the region, read from the cloud's network API."""
from typing import Annotated, Optional

from pydantic import Field

from layers import network
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.schema import Int64, String


class Input(HsmParams):
    Offset: Annotated[Int64, Field(ge=0)]
    Limit: Annotated[Int64, Field(ge=1, le=100)]
    SearchWord: Optional[String] = None


@hsm_action("DescribeVpc", Input)
def handle(p: Input, ctx: RequestContext) -> dict:
    found = network.vpcs(ctx.region, ctx.account, p.SearchWord)
    page = found[p.Offset:p.Offset + p.Limit]
    return {"TotalCount": len(found),
            "VpcList": [{"VpcName": v.name, "VpcId": v.vpc_id, "CreatedTime": v.created, "IsDefault": v.is_default}
                        for v in page]}
