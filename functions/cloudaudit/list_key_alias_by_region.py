"""ListKeyAliasByRegion: the caller's CMKs in KmsRegion that can encrypt delivered logs (Enabled
ENCRYPT_DECRYPT keys of our own KMS, oldest first), as KeyId and Alias, Offset/Limit paged."""
from dataclasses import replace

from pydantic import Field

from layers.audit import track_params as tp
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    KmsRegion: String
    Limit: int = Field(10, ge=1, le=200)
    Offset: Uint64 = 0


@action("ListKeyAliasByRegion", Input, region=REGION_IGNORED, versions=("2019-03-19",))
def handle(p: Input, ctx: RequestContext) -> dict:
    from layers.kms import keys
    from layers.kms.usages import ENCRYPT_DECRYPT
    region = tp.check_region(p.KmsRegion, "InvalidParameterValue.KmsRegionError", "KmsRegion")
    docs = [d for d in keys.visible(replace(ctx, region=region, resource_names=[]))
            if d.get("KeyUsage") == ENCRYPT_DECRYPT and d.get("KeyState") == keys.ENABLED]
    page = docs[p.Offset:p.Offset + p.Limit]
    return {"TotalCount": len(docs), "KeyMetadatas": [{"KeyId": d["KeyId"], "Alias": d.get("Alias", "")} for d in page]}
