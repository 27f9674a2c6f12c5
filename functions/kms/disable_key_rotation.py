"""DisableKeyRotation: stop rotating a symmetric CMK; its versions so far stay."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import keys, rotation
from layers.kms.params import Member, check_member


class Input(Params):
    KeyId: String
    MemberAccount: Optional[Member] = None


@action("DisableKeyRotation", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    key = rotation.rotatable(ctx, p.KeyId, "DisableKeyRotation")
    keys.change(key, {"RotationEnabled": False, "NextRotateTime": 0})
    return {}
