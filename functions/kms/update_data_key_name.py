"""UpdateDataKeyName: rename a hosted data key (names are unique per account and region)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import data_keys
from layers.kms.params import Member, check_member


class Input(Params):
    DataKeyId: String
    DataKeyName: String
    MemberAccount: Optional[Member] = None


@action("UpdateDataKeyName", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    name = data_keys.check_name(p.DataKeyName)
    data_key = data_keys.find(ctx, p.DataKeyId)
    ctx.touched(data_key.data_key_id, resource_type="datakey")
    data_keys.rename(data_key, name)
    return {}
