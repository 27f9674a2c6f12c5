"""ListKeyDetail: the caller's CMKs in the region with their attributes, filtered and paged."""
from typing import Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import String
from layers.kms import keys, owner, view
from layers.kms.params import DetailList, check_detail, detail_page
from layers.kms.usages import ENCRYPT_DECRYPT, USAGES

# KeyState filter: 0 all, 1 Enabled, 2 Disabled, 3 PendingDelete, 4 PendingImport, 5 Archived
STATES = {1: "Enabled", 2: "Disabled", 3: "PendingDelete", 4: "PendingImport", 5: "Archived"}


class Input(DetailList):
    KeyState: int = Field(0, ge=0, le=5)
    KeyUsage: Optional[String] = None


@action("ListKeyDetail", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_detail(ctx, p)
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
    page, total = detail_page(p, docs, "KeyId", "Alias")
    who = owner.of(ctx)
    return {"TotalCount": total, "KeyMetadatas": [view.metadata(d, who) for d in page]}
