"""UpdateAlias: give a CMK a new alias (unique per account and region)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import keys
from layers.kms.params import Member, check_alias, check_member


class Input(Params):
    Alias: String
    KeyId: String
    MemberAccount: Optional[Member] = None


@action("UpdateAlias", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    alias = check_alias(p.Alias)
    key = keys.find(ctx, p.KeyId)
    ctx.touched(key.key_id, resource_type="cmk")
    keys.rename(key, alias)
    return {}
