"""InquireCreateDasbResource: the price of a new resource, or of a changed configuration
(the catalog is functions/bhsaas/data/pricing.json; prepaid terms of a year or more are discounted)."""
import json
from functools import lru_cache
from pathlib import Path

from layers.bastion import billing, resources
from layers.gateway.action import REGION_IGNORED, RequestContext, action


@lru_cache(maxsize=1)
def catalog() -> dict:
    return json.loads((Path(__file__).parent / "data" / "pricing.json").read_text("utf-8"))


class Input(resources.Purchase):
    pass


@action("InquireCreateDasbResource", Input, region=REGION_IGNORED, resource_type="resource")
def handle(p: Input, ctx: RequestContext) -> dict:
    resources.check_placement(p, ctx.account)
    total, real = billing.price(catalog(), edition=p.ResourceEdition, node=p.ResourceNode, mbp_exp=p.MbpExp,
                                node_exp=p.NodeExp, months=p.TimeSpan, pay_mode=p.PayMode)
    return {"ProductCost": {"TotalCost": total, "RealCost": real}}
