"""ListKeys: the ids of the caller's CMKs in the region, oldest first."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.kms import keys
from layers.kms.params import IdList, id_page


class Input(IdList):
    pass


@action("ListKeys", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    page, total = id_page(p, lambda: keys.visible(ctx))
    return {"Keys": [{"KeyId": d["KeyId"]} for d in page], "TotalCount": total}
