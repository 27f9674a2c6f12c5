"""DisableWhiteBoxKeys: refused, the white-box key service is not enabled (layers/kms/whitebox.py)."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms.whitebox import not_enabled


class Input(Params):
    KeyIds: list[String]


@action("DisableWhiteBoxKeys", Input, region=REGION_OPTIONAL)
def handle(p: Input, ctx: RequestContext) -> dict:
    raise not_enabled("DisableWhiteBoxKeys")
