"""DescribeHSMByVpcId: how many of the caller's VSMs are in one of its VPCs."""
from layers import network
from layers.cloudhsm import vsms
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import not_found
from layers.gateway.schema import String


class Input(HsmParams):
    VpcId: String


def count(p: Input, ctx: RequestContext) -> dict:
    if network.vpc(ctx.region, ctx.account, p.VpcId) is None:
        raise not_found("VPC", p.VpcId)
    held = [v for v in vsms.regional_vsms(ctx) if v["VpcId"] == p.VpcId]
    return {"TotalCount": len(held), "VpcId": p.VpcId}


handle = hsm_action("DescribeHSMByVpcId", Input)(count)
