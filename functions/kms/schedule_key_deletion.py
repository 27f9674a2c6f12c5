"""ScheduleKeyDeletion: delete a disabled CMK (or an EXTERNAL one waiting for its material) after 7 to
30 days; until then CancelKeyDeletion undoes it. A key bound to a cloud resource (BindCloudResource) is
refused with FailedOperation.CmkUsedByCloudProduct.
When the day comes the key and all its material are deleted (on next sight, or by the hourly
kms_key_maintenance schedule)."""
import time
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Int64, Params, String
from layers.kms import bindings, errors, keys
from layers.kms.params import Member, check_member

MIN_DAYS, MAX_DAYS = 7, 30


class Input(Params):
    KeyId: String
    PendingWindowInDays: Int64
    MemberAccount: Optional[Member] = None


@action("ScheduleKeyDeletion", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    if not MIN_DAYS <= p.PendingWindowInDays <= MAX_DAYS:
        raise ApiError("InvalidParameter.InvalidPendingWindowInDays",
                       f"PendingWindowInDays must be from {MIN_DAYS} to {MAX_DAYS}.")
    key = keys.find(ctx, p.KeyId)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.state in (keys.ENABLED, keys.ARCHIVED):
        raise errors.should_be_disabled(key.key_id)
    if key.state not in (keys.DISABLED, keys.PENDING_IMPORT):
        raise errors.cmk_state(key.key_id, "already pending deletion", "ScheduleKeyDeletion")
    if bindings.is_bound(key.doc):
        raise bindings.used_by_cloud_product(key.key_id)
    deletion = int(time.time()) + p.PendingWindowInDays * keys.DAY
    keys.change(key, {"KeyState": keys.PENDING_DELETE, "DeletionDate": deletion}, expect={"Bindings": None})
    return {"DeletionDate": deletion, "KeyId": key.key_id}
