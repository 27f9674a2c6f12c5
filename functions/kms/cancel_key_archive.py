"""CancelKeyArchive: an Archived CMK becomes Enabled again."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import errors, keys
from layers.kms.params import Member, check_member


class Input(Params):
    KeyId: String
    MemberAccount: Optional[Member] = None


@action("CancelKeyArchive", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    key = keys.find(ctx, p.KeyId)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.state == keys.ENABLED:
        return {}
    if key.state != keys.ARCHIVED:
        raise errors.cmk_state(key.key_id, "not archived" if key.state != keys.PENDING_DELETE else "pending deletion",
                               "CancelKeyArchive")
    keys.change(key, {"KeyState": keys.ENABLED})
    return {}
