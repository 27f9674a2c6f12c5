"""DisableDataKey: disable one hosted data key (not one pending deletion)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import data_keys
from layers.kms.params import Member, check_member


class Input(Params):
    DataKeyId: String
    MemberAccount: Optional[Member] = None


@action("DisableDataKey", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    data_keys.set_state(ctx, [p.DataKeyId], data_keys.DISABLED, "DisableDataKey")
    return {}
