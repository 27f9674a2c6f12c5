"""ListDataKeyDetail: the caller's hosted data keys in the region with their attributes, filtered and paged."""
from typing import Literal, Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String, Uint64
from layers.kms import data_keys
from layers.kms.params import MemberAccount, TagFilter, check_key_id, check_member, check_tag_filters, tags_match

# KeyState filter: 0 all, 1 Enabled, 2 Disabled, 3 PendingDelete
STATES = {1: data_keys.ENABLED, 2: data_keys.DISABLED, 3: data_keys.PENDING_DELETE}
DEFAULT_CLUSTER = "default"


class Input(Params):
    Offset: Uint64 = 0
    Limit: int = Field(10, ge=1, le=200)      # plain int: bounds on Int64/Uint64 do not apply
    Role: int = Field(0, ge=0, le=1)
    OrderType: int = Field(0, ge=0, le=1)
    KeyState: int = Field(0, ge=0, le=3)
    SearchKeyAlias: Optional[String] = None
    Origin: Optional[Literal["TENCENT_KMS", "EXTERNAL", "ALL"]] = None
    HsmClusterId: Optional[String] = None
    KeyId: Optional[String] = None
    DataKeyLen: Optional[int] = Field(None, ge=data_keys.MIN_BYTES, le=data_keys.MAX_BYTES)
    TagFilters: Optional[list[TagFilter]] = None
    MemberAccounts: Optional[list[MemberAccount]] = None


@action("ListDataKeyDetail", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_tag_filters(p.TagFilters)
    for member in p.MemberAccounts or []:
        check_member(ctx, member)
    if p.KeyId:
        check_key_id(p.KeyId)
    docs = data_keys.visible(ctx) if p.Role == 0 else []
    if p.Origin and p.Origin != "ALL":
        docs = [d for d in docs if d["Origin"] == p.Origin]
    if p.KeyState:
        docs = [d for d in docs if d["KeyState"] == STATES[p.KeyState]]
    if p.SearchKeyAlias:
        needle = p.SearchKeyAlias.lower()
        docs = [d for d in docs if needle in d["DataKeyId"] or needle in d["DataKeyName"].lower()]
    if p.HsmClusterId:
        cluster = "" if p.HsmClusterId == DEFAULT_CLUSTER else p.HsmClusterId
        docs = [d for d in docs if d.get("HsmClusterId", "") == cluster]
    if p.KeyId:
        docs = [d for d in docs if d["KeyId"] == p.KeyId]
    if p.DataKeyLen:
        docs = [d for d in docs if int(d["NumberOfBytes"]) == p.DataKeyLen]
    if p.TagFilters:
        docs = [d for d in docs if tags_match(d, p.TagFilters)]
    if p.OrderType == 0:
        docs = docs[::-1]          # newest first
    page = docs[p.Offset:p.Offset + p.Limit]
    return {"TotalCount": len(docs), "DataKeyMetadatas": data_keys.metadatas(ctx, page)}
