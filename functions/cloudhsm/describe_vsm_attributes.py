"""DescribeVsmAttributes: one VSM, with its network names, CIDRs and security-group rules."""
from layers.cloudhsm import vsms
from layers.gateway.action import RequestContext, action
from layers.gateway.schema import Params, String


class Input(Params):
    ResourceId: String


@action("DescribeVsmAttributes", Input, resource_type="vsm")
def handle(p: Input, ctx: RequestContext) -> dict:
    vsm = vsms.find(ctx, p.ResourceId)
    ctx.touched(vsm["ResourceId"], resource_type="vsm")
    return vsms.attributes(vsm, vsms.NetworkNames(ctx, [vsm]))
