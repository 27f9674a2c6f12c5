"""CreateWhiteBoxKey: refused, the white-box key service is not enabled (layers/kms/whitebox.py)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms.params import Tag
from layers.kms.whitebox import not_enabled


class Input(Params):
    Alias: String
    Algorithm: String
    Description: Optional[String] = None
    Tags: Optional[list[Tag]] = None


@action("CreateWhiteBoxKey", Input, region=REGION_OPTIONAL)
def handle(p: Input, ctx: RequestContext) -> dict:
    raise not_enabled("CreateWhiteBoxKey")
