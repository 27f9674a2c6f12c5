"""ArchiveKey: an Enabled CMK becomes Archived: it no longer encrypts (or signs, or makes data keys),
but still decrypts what it encrypted (and verifies); CancelKeyArchive makes it Enabled again."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import errors, keys
from layers.kms.params import Member, check_member


class Input(Params):
    KeyId: String
    MemberAccount: Optional[Member] = None


@action("ArchiveKey", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    key = keys.find(ctx, p.KeyId)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.state == keys.ARCHIVED:
        return {}
    if key.state == keys.DISABLED:
        raise errors.cmk_disabled(key.key_id)
    if key.state != keys.ENABLED:
        raise errors.cmk_state(key.key_id, "pending deletion" if key.state == keys.PENDING_DELETE else key.state,
                               "ArchiveKey")
    keys.change(key, {"KeyState": keys.ARCHIVED})
    return {}
