"""DescribeUsg: the caller's security groups in the region; Offset and Limit both 0 return all."""
from typing import Annotated, Optional

from pydantic import Field

from layers import network
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Int64, String


class Input(HsmParams):
    Offset: Annotated[Int64, Field(ge=0)]
    Limit: Annotated[Int64, Field(ge=0, le=100)]
    SearchWord: Optional[String] = None


@hsm_action("DescribeUsg", Input)
def handle(p: Input, ctx: RequestContext) -> dict:
    if p.Limit == 0 and p.Offset != 0:
        raise invalid_value("Limit", "must be at least 1 unless Offset is 0 too (both 0 return every group)")
    found = network.security_groups(ctx.region, ctx.account, p.SearchWord)
    page = found if p.Limit == 0 else found[p.Offset:p.Offset + p.Limit]
    return {"SgList": [network.sg_unit(g) for g in page], "TotalCount": len(found)}
