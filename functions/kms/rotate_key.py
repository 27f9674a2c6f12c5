"""RotateKey: rotate a symmetric CMK with rotation enabled now (at most once a day)."""
import time
import uuid
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String
from layers.kms import keys, rotation
from layers.kms.params import Member, check_member


class Input(Params):
    KeyId: String
    MemberAccount: Optional[Member] = None


@action("RotateKey", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    key = rotation.rotatable(ctx, p.KeyId, "RotateKey")
    if not key.doc.get("RotationEnabled"):
        raise ApiError("UnsupportedOperation.RotateNotSupported",
                       f"Rotation is not enabled for CMK `{key.key_id}`; see EnableKeyRotation.")
    now = int(time.time())
    if now - int(key.doc.get("LastRotateTime") or 0) < rotation.MANUAL_INTERVAL:
        raise ApiError("RequestLimitExceeded.RotateRateLimited",
                       f"CMK `{key.key_id}` was rotated less than 24 hours ago.")
    keys.rotate(key, now)
    return {"TaskId": str(uuid.uuid4())}
