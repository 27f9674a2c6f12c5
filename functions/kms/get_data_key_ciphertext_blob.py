"""GetDataKeyCiphertextBlob: an Enabled hosted data key as the CiphertextBlob it is kept as (the one
GenerateDataKey or ImportDataKey gave); Decrypt opens it (with the EncryptionContext GenerateDataKey was
given, if any)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import data_keys
from layers.kms.params import Member, check_member


class Input(Params):
    DataKeyId: String
    MemberAccount: Optional[Member] = None


@action("GetDataKeyCiphertextBlob", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    check_member(ctx, p.MemberAccount)
    data_key = data_keys.readable(ctx, p.DataKeyId)
    return {"CiphertextBlob": data_key.doc["CiphertextBlob"]}
