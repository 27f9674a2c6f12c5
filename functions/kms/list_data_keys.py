"""ListDataKeys: the ids of the caller's hosted data keys in the region, oldest first."""
from typing import Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String, Uint64
from layers.kms import data_keys

ROLE_USER, ROLE_CLOUD_PRODUCT = 0, 1


class Input(Params):
    Offset: Uint64 = 0
    Limit: int = Field(10, ge=1, le=200)      # plain int: bounds on Int64/Uint64 do not apply
    Role: int = Field(ROLE_USER, ge=0, le=ROLE_CLOUD_PRODUCT)
    HsmClusterId: Optional[String] = None


@action("ListDataKeys", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    # Every data key here is hosted by its user; none by a cloud product (Role 1).
    docs = data_keys.visible(ctx) if p.Role == ROLE_USER else []
    if p.HsmClusterId:
        docs = [d for d in docs if d.get("HsmClusterId") == p.HsmClusterId]
    page = docs[p.Offset:p.Offset + p.Limit]
    return {"DataKeys": [{"DataKeyId": d["DataKeyId"]} for d in page], "TotalCount": len(docs)}
