"""DescribeKey: one CMK's attributes."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import keys, owner, view
from layers.kms.params import Member, check_member


class Input(Params):
    KeyId: String
    MemberAccount: Optional[Member] = None


@action("DescribeKey", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    key = keys.find(ctx, p.KeyId)
    ctx.touched(key.key_id, resource_type="cmk")
    return {"KeyMetadata": view.metadata(key.doc, owner.of(ctx))}
