"""ListCosEnableRegion: the regions this deployment can deliver tracks to (COS buckets, S3 here):
the project's region catalog (layers/regions.py), described in Chinese (WebsiteType zh, the default) or
English (en)."""
from typing import Optional

from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String
from layers.regions import REGIONS, display_name


class Input(Params):
    WebsiteType: Optional[String] = None


@action("ListCosEnableRegion", Input, region=REGION_IGNORED, versions=("2019-03-19",))
def handle(p: Input, ctx: RequestContext) -> dict:
    lang = (p.WebsiteType or "zh").lower()
    if lang not in ("zh", "en"):
        raise ApiError("InvalidParameterValue", "The value of parameter `WebsiteType` is invalid: zh or en.")
    return {"EnableRegions": [{"CosRegion": r, "CosRegionName": display_name(r, lang)} for r in REGIONS]}
