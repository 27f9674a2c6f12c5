"""UpdateKeyDescription: change a CMK's description (at most 1024 bytes)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import keys
from layers.kms.params import Member, check_description, check_member


class Input(Params):
    Description: String
    KeyId: String
    MemberAccount: Optional[Member] = None


@action("UpdateKeyDescription", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    description = check_description(p.Description)
    key = keys.find(ctx, p.KeyId)
    ctx.touched(key.key_id, resource_type="cmk")
    keys.change(key, {"Description": description})
    return {}
