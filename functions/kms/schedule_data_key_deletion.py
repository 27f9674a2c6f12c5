"""ScheduleDataKeyDeletion: delete a hosted data key (Enabled or Disabled) after 7 to 30 days; until
then it gives out nothing and CancelDataKeyDeletion undoes it. When the day comes it is deleted (on next
sight, or by the hourly kms_key_maintenance schedule)."""
import time
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Int64, Params, String
from layers.kms import data_keys, keys
from layers.kms.params import Member, check_member


class Input(Params):
    DataKeyId: String
    PendingWindowInDays: Int64
    MemberAccount: Optional[Member] = None


@action("ScheduleDataKeyDeletion", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    days = data_keys.check_window(p.PendingWindowInDays)
    data_key = data_keys.find(ctx, p.DataKeyId)
    ctx.touched(data_key.data_key_id, resource_type="datakey")
    if data_key.state == data_keys.PENDING_DELETE:
        raise ApiError("ResourceUnavailable.DataKeyPendingDelete",
                       f"Data key `{data_key.data_key_id}` is already pending deletion.")
    deletion = int(time.time()) + days * keys.DAY
    data_keys.change(data_key, {"KeyState": data_keys.PENDING_DELETE, "DeletionDate": deletion})
    return {"DeletionDate": deletion, "DataKeyId": data_key.data_key_id}
