"""CancelDataKeyDeletion: a hosted data key pending deletion goes back to Disabled (as a CMK does);
EnableDataKey makes it usable again."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String
from layers.kms import data_keys
from layers.kms.params import Member, check_member


class Input(Params):
    DataKeyId: String
    MemberAccount: Optional[Member] = None


@action("CancelDataKeyDeletion", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    data_key = data_keys.find(ctx, p.DataKeyId)
    ctx.touched(data_key.data_key_id, resource_type="datakey")
    if data_key.state != data_keys.PENDING_DELETE:
        raise ApiError("ResourceUnavailable.DataKeyNotPendingDelete",
                       f"Data key `{data_key.data_key_id}` is not pending deletion.")
    data_keys.change(data_key, {"KeyState": data_keys.DISABLED, "DeletionDate": 0})
    return {"DataKeyId": data_key.data_key_id}
