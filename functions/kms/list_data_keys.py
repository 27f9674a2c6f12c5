"""ListDataKeys: the ids of the caller's hosted data keys in the region, oldest first."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.kms import data_keys
from layers.kms.params import IdList, id_page


class Input(IdList):
    pass


@action("ListDataKeys", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    page, total = id_page(p, lambda: data_keys.visible(ctx))
    return {"DataKeys": [{"DataKeyId": d["DataKeyId"]} for d in page], "TotalCount": total}
