"""DescribeHSMBySubnetId: how many of the caller's VSMs are in one of its subnets."""
from layers import network
from layers.cloudhsm import vsms
from layers.gateway.action import RequestContext, action
from layers.gateway.errors import not_found
from layers.gateway.schema import Params, String


class Input(Params):
    SubnetId: String


def count(p: Input, ctx: RequestContext) -> dict:
    if network.subnet(ctx.region, ctx.account, p.SubnetId) is None:
        raise not_found("Subnet", p.SubnetId)
    held = [v for v in vsms.regional_vsms(ctx) if v["SubnetId"] == p.SubnetId]
    return {"TotalCount": len(held), "SubnetId": p.SubnetId}


handle = action("DescribeHSMBySubnetId", Input)(count)
