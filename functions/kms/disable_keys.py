"""DisableKeys: disable up to 100 CMKs; every key is checked before any changes."""
from typing import Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import states
from layers.kms.params import Member, check_member


class Input(Params):
    KeyIds: list[String] = Field(min_length=1, max_length=states.MAX_BATCH)
    MemberAccount: Optional[Member] = None


@action("DisableKeys", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    states.set_state(ctx, p.KeyIds, "Disabled", "DisableKeys")
    return {}
