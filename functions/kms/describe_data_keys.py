"""DescribeDataKeys: the attributes of up to 100 hosted data keys; ids of data keys that do not exist
are left out."""
from typing import Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String
from layers.kms import data_keys
from layers.kms.params import Member, check_member


class Input(Params):
    DataKeyIds: list[String] = Field(min_length=1, max_length=data_keys.MAX_BATCH)
    MemberAccount: Optional[Member] = None


@action("DescribeDataKeys", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    found = []
    for data_key_id in data_keys.check_ids(p.DataKeyIds):
        try:
            found.append(data_keys.find(ctx, data_key_id).doc)
        except ApiError as err:
            if err.code != "ResourceUnavailable.DataKeyNotFound":
                raise
    ctx.touched(*(d["DataKeyId"] for d in found), resource_type="datakey")
    return {"DataKeyMetadatas": data_keys.metadatas(ctx, found)}
