"""DescribeUsgRule: the inbound and outbound rules of the given security groups."""
from pydantic import Field

from layers import network
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import not_found
from layers.gateway.schema import String


class Input(HsmParams):
    SgIds: list[String] = Field(min_length=1, max_length=100)


@hsm_action("DescribeUsgRule", Input)
def handle(p: Input, ctx: RequestContext) -> dict:
    wanted = list(dict.fromkeys(p.SgIds))
    groups = network.security_groups_by_id(ctx.region, ctx.account, wanted)
    missing = [g for g in wanted if g not in groups]
    if missing:
        raise not_found("Security group", ", ".join(missing))
    return {"SgRules": [network.usg_rule_detail(groups[g]) for g in wanted], "TotalCount": len(wanted)}
