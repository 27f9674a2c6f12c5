"""DescribeVsmAttributes: one VSM, with its network names, CIDRs and security-group rules."""
from layers.cloudhsm import vsms
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.schema import String


class Input(HsmParams):
    ResourceId: String


@hsm_action("DescribeVsmAttributes", Input, resource_type="vsm")
def handle(p: Input, ctx: RequestContext) -> dict:
    vsm = vsms.find(ctx, p.ResourceId)
    ctx.touched(vsm["ResourceId"], resource_type="vsm")
    return vsms.attributes(vsm, vsms.NetworkNames(ctx, [vsm]))
