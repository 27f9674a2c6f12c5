"""UpdateDataKeyDescription: change a hosted data key's description (at most 100 bytes)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import data_keys
from layers.kms.params import Member, check_member


class Input(Params):
    DataKeyId: String
    Description: String
    MemberAccount: Optional[Member] = None


@action("UpdateDataKeyDescription", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    description = data_keys.check_description(p.Description)
    data_key = data_keys.find(ctx, p.DataKeyId)
    ctx.touched(data_key.data_key_id, resource_type="datakey")
    data_keys.change(data_key, {"Description": description})
    return {}
