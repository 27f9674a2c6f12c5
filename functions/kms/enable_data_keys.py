"""EnableDataKeys: enable up to 100 hosted data keys; every one is checked before any changes."""
from typing import Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import data_keys
from layers.kms.params import Member, check_member


class Input(Params):
    DataKeyIds: list[String] = Field(min_length=1, max_length=data_keys.MAX_BATCH)
    MemberAccount: Optional[Member] = None


@action("EnableDataKeys", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    data_keys.set_state(ctx, p.DataKeyIds, data_keys.ENABLED, "EnableDataKeys")
    return {}
