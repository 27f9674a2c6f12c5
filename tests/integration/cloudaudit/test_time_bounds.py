"""LookupEvents/LookUpEvents/CreateExportTask time bounds: a StartTime or EndTime before 1970 or
past year 9999 is refused naming it (InvalidParameterValue.Time for a lookup, plain
InvalidParameterValue for an export), and the widest range allowed reads only the
days that can hold events."""
import datetime as dt
import json

import pytest

from ca_support import make_event, new_account, now_ms
from layers.audit import indices
from layers.audit.indexer import Indexer, Message
from layers.audit.lookup import MAX_MS, LookupRequest, lookup
from layers.search.default import default_store
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError

PREFIX = "traillog_server_log"


def ctx(account: str) -> RequestContext:
    return RequestContext(request_id="r", service="cloudaudit", version="2019-03-04", action="LookupEvents",
                          region="ap-guangzhou", account=account, uin=account)


def find(account: str, start: int, end: int, store=None):
    return lookup(LookupRequest(start_time=start, end_time=end, max_results=50), ctx(account), store=store)


def test_the_maximum_is_the_last_millisecond_of_year_9999():
    utc = dt.timezone.utc
    assert dt.datetime(1970, 1, 1, tzinfo=utc) + dt.timedelta(milliseconds=MAX_MS) == \
        dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=utc)


@pytest.mark.parametrize("start,end,name", [
    (0, 2 ** 63, "EndTime"),
    (2 ** 63, 2 ** 63, "StartTime"),
    (2 ** 63 - 1, 2 ** 64 - 1, "StartTime"),
    (1, MAX_MS + 1, "EndTime"),
    (MAX_MS + 1, MAX_MS + 2, "StartTime"),
    (10 ** 15, 10 ** 15, "StartTime"),              # year 33658 in milliseconds
    (-1, 10, "StartTime"),
    (0, -5, "EndTime"),
])
def test_times_before_1970_or_past_year_9999_are_refused_naming_the_parameter(start, end, name):
    with pytest.raises(ApiError) as err:
        find(new_account(), start, end)
    assert err.value.code == "InvalidParameterValue.Time"
    assert f"`{name}`" in err.value.message and "9999" in err.value.message


@pytest.mark.parametrize("start,end", [(0, MAX_MS), (0, 10 ** 11 - 1)], ids=["milliseconds", "seconds"])
def test_the_widest_range_finds_the_events(stack, start, end):
    account, t = new_account(), now_ms()
    events = [make_event(account, t - d * indices.DAY_MS) for d in (0, 3)]
    assert not Indexer(default_store()).process([Message(str(i), json.dumps(e)) for i, e in enumerate(events)]).failed
    page = find(account, start, end, store=default_store())
    assert [e["EventId"] for e in page.events] == [e["EventId"] for e in events] and page.list_over
