"""DescribeHSMBySubnetId: how many of the caller's VSMs are in one of its subnets."""
from layers import network
from layers.cloudhsm import vsms
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import not_found
from layers.gateway.schema import String


class Input(HsmParams):
    SubnetId: String


def count(p: Input, ctx: RequestContext) -> dict:
    if network.subnet(ctx.region, ctx.account, p.SubnetId) is None:
        raise not_found("Subnet", p.SubnetId)
    held = [v for v in vsms.regional_vsms(ctx) if v["SubnetId"] == p.SubnetId]
    return {"TotalCount": len(held), "SubnetId": p.SubnetId}


handle = hsm_action("DescribeHSMBySubnetId", Input)(count)
