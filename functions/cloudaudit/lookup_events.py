"""LookupEvents (2019-03-04): search the caller's audit events, newest first, page by page."""
from typing import List, Optional

from pydantic import Field

from layers.audit.lookup import LookupRequest, attributes_of, check_max_results, lookup
from layers.audit.params import Attr
from layers.audit.views import events_20190304
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    StartTime: Uint64
    EndTime: Uint64
    MaxResults: Uint64 = 10          # 1..50: InvalidParameterValue.MaxResult (layers/audit/lookup.py)
    NextToken: Optional[String] = None
    OwnerUin: Optional[String] = None
    LookupAttributes: Optional[List[Attr]] = Field(None, max_length=20)
    LookupType: Optional[String] = None
    ContentValue: Optional[String] = Field(None, max_length=256)


@action("LookupEvents", Input, region=REGION_IGNORED, versions=("2019-03-04",))
def handle(p: Input, ctx: RequestContext) -> dict:
    page = lookup(LookupRequest(start_time=p.StartTime, end_time=p.EndTime, max_results=check_max_results(p.MaxResults),
                                next_token=p.NextToken or "", owner_uin=p.OwnerUin or "",
                                attributes=attributes_of(p.LookupAttributes), lookup_type=p.LookupType or "",
                                content_value=p.ContentValue or ""), ctx)
    return {"Events": [events_20190304(e) for e in page.events], "NextToken": page.next_token,
            "ListOver": page.list_over, "ReturnMessage": "ok"}
