"""DescribeVsms: the caller's VSMs in the region, newest first, filtered and paged.
Signature only: no policy check, as the API documentation says.

HsmType: GHSM, EHSM or SHSM keep the VSMs hosted by that kind of HSM (GVSM, EVSM, SVSM); all,
virtualization or nothing keep every VSM (each is virtual); physical keeps none. ClusterId keeps the
VSMs of that cluster: none is in a cluster (ClusterId ""), so a non-empty ClusterId finds nothing."""
from typing import Annotated, Optional

from pydantic import Field

from layers.cloudhsm import vsms
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.schema import Int64, Params, String


class TagFilter(Params):
    TagKey: Optional[String] = None
    TagValue: Optional[list[String]] = None


class Input(HsmParams):
    Offset: Annotated[Int64, Field(ge=0)]
    Limit: Annotated[Int64, Field(ge=1, le=100)]
    SearchWord: Optional[String] = None
    TagFilters: Optional[list[TagFilter]] = Field(None, max_length=50)
    Manufacturer: Optional[String] = None
    HsmType: Optional[String] = None
    ClusterId: Optional[String] = None


@hsm_action("DescribeVsms", Input, signature_only=True)
def handle(p: Input, ctx: RequestContext) -> dict:
    word = (p.SearchWord or "").strip().lower()
    maker = (p.Manufacturer or "").strip().upper()
    kind = vsms.hsm_type_filter(p.HsmType)
    cluster = (p.ClusterId or "").strip()
    found = [v for v in reversed(vsms.regional_vsms(ctx))
             if (not word or word in v["ResourceId"].lower() or word in v["ResourceName"].lower())
             and (not maker or v["Manufacturer"].upper() == maker)
             and vsms.tags_match(v, p.TagFilters) and kind(v)
             and (not cluster or v.get("ClusterId", "") == cluster)]
    page = found[p.Offset:p.Offset + p.Limit]
    names = vsms.NetworkNames(ctx, page)
    return {"TotalCount": len(found), "VsmList": [vsms.resource_info(v, names) for v in page]}
