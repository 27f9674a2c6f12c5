"""DescribeEvents (2019-03-19): the audit events of the last 90 days, at most 30 days at a time,
filtered by the lookup keys GetAttributeKey lists — the same query as LookUpEvents
(layers/audit/lookup.py), paged by an integer NextToken."""
from typing import List, Optional

from pydantic import Field

from layers.audit import attribute_keys
from layers.audit.lookup import LookupRequest, attributes_of, check_max_results, lookup_numbered
from layers.audit.params import Attr
from layers.audit.views import event_20190319
from layers.gateway.action import REGION_REQUIRED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Int64, Params

MAX_AGE_DAYS = 90        # StartTime: 不超过当前时间 90 天
MAX_SPAN_DAYS = 30       # EndTime - StartTime: 查询时间跨度 30 天


class Input(Params):
    StartTime: Int64          # seconds (milliseconds accepted, as LookUpEvents)
    EndTime: Int64
    NextToken: Optional[Int64] = None     # a number a previous page returned; 0 or none: the first page
    MaxResults: Int64 = 10                # 1..50: InvalidParameterValue.MaxResult
    LookupAttributes: Optional[List[Attr]] = Field(None, max_length=20)
    IsReturnLocation: Optional[Int64] = None   # 1: Location filled; 0 or none: ""


def _attributes(items) -> list:
    """EventName takes several names, OR-ed: repeated, or comma-separated in one value."""
    out = []
    for key, value in attributes_of(items):
        if key == "EventName" and "," in value:
            out += [(key, v.strip()) for v in value.split(",") if v.strip()]
        else:
            out.append((key, value))
    return out


@action("DescribeEvents", Input, region=REGION_REQUIRED, versions=("2019-03-19",))
def handle(p: Input, ctx: RequestContext) -> dict:
    if p.IsReturnLocation not in (None, 0, 1):
        raise invalid_value("IsReturnLocation", "must be 1 (return Location) or 0")
    req = LookupRequest(start_time=p.StartTime, end_time=p.EndTime, max_results=check_max_results(p.MaxResults),
                        attributes=_attributes(p.LookupAttributes), keys=attribute_keys.KEYS,
                        max_age_days=MAX_AGE_DAYS, max_span_days=MAX_SPAN_DAYS)
    page = lookup_numbered(req, ctx, p.NextToken or 0)
    events = [event_20190319(e, location=p.IsReturnLocation == 1) for e in page.events]
    return {"ListOver": page.list_over, "NextToken": page.next_token, "Events": events, "TotalCount": len(events)}
