"""ListKeyDetail: the caller's CMKs in the region with their attributes, filtered and paged."""
from typing import Literal, Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Params, String, Uint64
from layers.kms import keys, owner, view
from layers.kms.params import MemberAccount, TagFilter, check_member, check_tag_filters, tags_match
from layers.kms.usages import ENCRYPT_DECRYPT, USAGES

# KeyState filter: 0 all, 1 Enabled, 2 Disabled, 3 PendingDelete, 4 PendingImport, 5 Archived
STATES = {1: "Enabled", 2: "Disabled", 3: "PendingDelete", 4: "PendingImport", 5: "Archived"}
DEFAULT_CLUSTER = "default"


class Input(Params):
    Offset: Uint64 = 0
    Limit: int = Field(10, ge=1, le=200)      # plain int: bounds on Int64/Uint64 do not apply
    Role: int = Field(0, ge=0, le=1)
    OrderType: int = Field(0, ge=0, le=1)
    KeyState: int = Field(0, ge=0, le=5)
    SearchKeyAlias: Optional[String] = None
    Origin: Optional[Literal["TENCENT_KMS", "EXTERNAL", "ALL"]] = None
    KeyUsage: Optional[String] = None
    TagFilters: Optional[list[TagFilter]] = None
    HsmClusterId: Optional[String] = None
    MemberAccounts: Optional[list[MemberAccount]] = None


@action("ListKeyDetail", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_tag_filters(p.TagFilters)
    for member in p.MemberAccounts or []:
        check_member(ctx, member)
    usage = p.KeyUsage or ENCRYPT_DECRYPT
    if usage != "ALL" and usage not in USAGES:
        raise invalid_value("KeyUsage", f"must be ALL or one of {', '.join(USAGES)}")
    docs = keys.visible(ctx) if p.Role == 0 else []
    if p.Origin and p.Origin != "ALL":
        docs = [d for d in docs if (d.get("Origin") or view.ORIGIN_KMS) == p.Origin]
    if usage != "ALL":
        docs = [d for d in docs if d["KeyUsage"] == usage]
    if p.KeyState:
        docs = [d for d in docs if d["KeyState"] == STATES[p.KeyState]]
    if p.SearchKeyAlias:
        needle = p.SearchKeyAlias.lower()
        docs = [d for d in docs if needle in d["KeyId"] or needle in d["Alias"].lower()]
    if p.HsmClusterId:
        cluster = "" if p.HsmClusterId == DEFAULT_CLUSTER else p.HsmClusterId
        docs = [d for d in docs if d.get("HsmClusterId", "") == cluster]
    if p.TagFilters:
        docs = [d for d in docs if tags_match(d, p.TagFilters)]
    if p.OrderType == 0:
        docs = docs[::-1]          # newest first
    page = docs[p.Offset:p.Offset + p.Limit]
    who = owner.of(ctx)
    return {"TotalCount": len(docs), "KeyMetadatas": [view.metadata(d, who) for d in page]}
