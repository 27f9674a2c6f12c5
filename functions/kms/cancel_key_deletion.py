"""CancelKeyDeletion: a CMK pending deletion goes back to Disabled (PendingImport if it is an EXTERNAL
CMK without key material)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import errors, keys
from layers.kms.params import Member, check_member


class Input(Params):
    KeyId: String
    MemberAccount: Optional[Member] = None


@action("CancelKeyDeletion", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    key = keys.find(ctx, p.KeyId)
    ctx.touched(key.key_id, resource_type="cmk")
    if key.state != keys.PENDING_DELETE:
        raise errors.not_pending_delete(key.key_id)
    state = keys.DISABLED if key.doc.get("Material") else keys.PENDING_IMPORT
    keys.change(key, {"KeyState": state, "DeletionDate": 0})
    return {"KeyId": key.key_id}
