"""DescribeDataKey: one hosted data key's attributes."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import data_keys
from layers.kms.params import Member, check_member


class Input(Params):
    DataKeyId: String
    MemberAccount: Optional[Member] = None


@action("DescribeDataKey", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    data_key = data_keys.find(ctx, p.DataKeyId)
    ctx.touched(data_key.data_key_id, resource_type="datakey")
    return {"DataKeyMetadata": data_keys.metadatas(ctx, [data_key.doc])[0]}
