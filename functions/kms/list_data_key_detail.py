"""ListDataKeyDetail: the caller's hosted data keys in the region with their attributes, filtered and paged."""
from typing import Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import String
from layers.kms import data_keys
from layers.kms.params import DetailList, check_detail, check_key_id, detail_page

# KeyState filter: 0 all, 1 Enabled, 2 Disabled, 3 PendingDelete
STATES = {1: data_keys.ENABLED, 2: data_keys.DISABLED, 3: data_keys.PENDING_DELETE}


class Input(DetailList):
    KeyState: int = Field(0, ge=0, le=3)
    KeyId: Optional[String] = None
    DataKeyLen: Optional[int] = Field(None, ge=data_keys.MIN_BYTES, le=data_keys.MAX_BYTES)


@action("ListDataKeyDetail", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_detail(ctx, p)
    if p.KeyId:
        check_key_id(p.KeyId)
    docs = data_keys.visible(ctx) if p.Role == 0 else []
    if p.Origin and p.Origin != "ALL":
        docs = [d for d in docs if d["Origin"] == p.Origin]
    if p.KeyState:
        docs = [d for d in docs if d["KeyState"] == STATES[p.KeyState]]
    if p.KeyId:
        docs = [d for d in docs if d["KeyId"] == p.KeyId]
    if p.DataKeyLen:
        docs = [d for d in docs if int(d["NumberOfBytes"]) == p.DataKeyLen]
    page, total = detail_page(p, docs, "DataKeyId", "DataKeyName")
    return {"TotalCount": total, "DataKeyMetadatas": data_keys.metadatas(ctx, page)}
