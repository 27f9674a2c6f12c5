"""LookUpEvents (2019-03-19, the public API version tencentcloud-sdk-python and tccli call):
the same search as LookupEvents, in that version's shapes."""
from typing import List, Literal, Optional

from pydantic import Field

from layers.audit.lookup import LookupRequest, attributes_of, check_max_results, lookup
from layers.audit.params import Attr
from layers.audit.views import event_20190319
from layers.gateway.action import REGION_REQUIRED, RequestContext, action
from layers.gateway.schema import Int64, Params, String


class Input(Params):
    StartTime: Int64          # before 1970: InvalidParameterValue.Time (layers/audit/lookup.py)
    EndTime: Int64
    LookupAttributes: Optional[List[Attr]] = Field(None, max_length=20)
    NextToken: Optional[String] = None
    MaxResults: Int64 = 10          # 1..50: InvalidParameterValue.MaxResult (layers/audit/lookup.py)
    Mode: Optional[Literal["standard", "quick"]] = None


@action("LookUpEvents", Input, region=REGION_REQUIRED, versions=("2019-03-19",))
def handle(p: Input, ctx: RequestContext) -> dict:
    page = lookup(LookupRequest(start_time=p.StartTime, end_time=p.EndTime, max_results=check_max_results(p.MaxResults),
                                next_token=p.NextToken or "", attributes=attributes_of(p.LookupAttributes)), ctx)
    events = [event_20190319(e) for e in page.events]
    return {"NextToken": page.next_token, "Events": events, "ListOver": page.list_over, "TotalCount": len(events)}
