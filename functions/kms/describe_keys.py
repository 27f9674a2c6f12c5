"""DescribeKeys: the attributes of up to 100 CMKs; ids of keys that do not exist are left out."""
from typing import Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String
from layers.kms import keys, owner, view
from layers.kms.params import Member, check_key_ids, check_member

MAX_IDS = 100


class Input(Params):
    KeyIds: list[String] = Field(min_length=1, max_length=MAX_IDS)
    MemberAccount: Optional[Member] = None


@action("DescribeKeys", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    check_key_ids(p.KeyIds)
    found = []
    for key_id in p.KeyIds:
        try:
            found.append(keys.find(ctx, key_id))
        except ApiError as err:
            if err.code != "ResourceUnavailable.CmkNotFound":
                raise
    ctx.touched(*(k.key_id for k in found), resource_type="cmk")
    who = owner.of(ctx)
    return {"KeyMetadatas": [view.metadata(k.doc, who) for k in found]}
