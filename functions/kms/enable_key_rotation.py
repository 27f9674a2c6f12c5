"""EnableKeyRotation: rotate a symmetric CMK every RotateDays days (7-365, default 365)."""
import time
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Int64, Params, String
from layers.kms import keys, rotation
from layers.kms.params import Member, check_member


class Input(Params):
    KeyId: String
    RotateDays: Optional[Int64] = None
    MemberAccount: Optional[Member] = None


@action("EnableKeyRotation", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    days = keys.DEFAULT_ROTATE_DAYS if p.RotateDays is None else p.RotateDays
    if not rotation.MIN_DAYS <= days <= rotation.MAX_DAYS:
        raise invalid_value("RotateDays", f"must be from {rotation.MIN_DAYS} to {rotation.MAX_DAYS}")
    key = rotation.rotatable(ctx, p.KeyId, "EnableKeyRotation")
    keys.change(key, {"RotationEnabled": True, "RotateDays": days,
                      "NextRotateTime": int(time.time()) + days * keys.DAY})
    return {}
