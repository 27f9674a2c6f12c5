"""DescribeWhiteBoxKeyDetails: refused, the white-box key service is not enabled (layers/kms/whitebox.py)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Int64, Params, Uint64
from layers.kms.params import TagFilter
from layers.kms.whitebox import not_enabled


class Input(Params):
    KeyStatus: Optional[Int64] = None
    Offset: Optional[Uint64] = None
    Limit: Optional[Uint64] = None
    TagFilters: Optional[list[TagFilter]] = None


@action("DescribeWhiteBoxKeyDetails", Input, region=REGION_OPTIONAL)
def handle(p: Input, ctx: RequestContext) -> dict:
    raise not_enabled("DescribeWhiteBoxKeyDetails")
