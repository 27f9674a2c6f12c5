"""The embedded store on one machine: a damaged day is refused by name, never served wrong, and
`guardzone audit rebuild --day … --fresh` brings it back from the S3 archive."""
import json
import logging

import pytest

from ca_support import make_event, new_account, now_ms
from layers.audit import indices
from layers.audit.indexer import Indexer, Message
from layers.audit.lookup import LookupRequest, lookup
from layers.audit.maintenance import rebuild_day
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError
from layers.search.embedded import EmbeddedStore

DAY = 86_400_000


def ctx(account):
    return RequestContext(request_id="r", service="cloudaudit", version="2019-03-04", action="LookupEvents",
                          region="ap-guangzhou", account=account, uin=account)


def test_a_damaged_day_is_refused_by_name_and_rebuilt_from_the_archive(stack, tmp_path, own_archive, caplog):
    store = EmbeddedStore(str(tmp_path / "search"))
    account, t = new_account(), now_ms() - 3 * DAY
    events = [make_event(account, t + i, params={"Name": f"vault-{i}"}) for i in range(30)]
    assert not Indexer(store).process([Message(str(i), json.dumps(e)) for i, e in enumerate(events)]).failed
    day = indices.day_of(t)
    store.close()
    biggest = max((tmp_path / "search" / "traillog_server_log" / f"{day:%Y.%m.%d}").glob("*.store"),
                  key=lambda p: p.stat().st_size)
    data = biggest.read_bytes()
    biggest.write_bytes(data[:64] + bytes([data[64] ^ 0x40]) + data[65:])   # one flipped bit

    store = EmbeddedStore(str(tmp_path / "search"))
    request = LookupRequest(start_time=t - DAY, end_time=now_ms(), max_results=50)
    with caplog.at_level(logging.ERROR, logger="guardzone"), pytest.raises(ApiError) as err:
        lookup(request, ctx(account), store=store)
    assert err.value.code == "ResourceUnavailable"
    assert f"traillog_server_log-{day:%Y.%m.%d}" in caplog.text and "rebuild" in caplog.text

    result = rebuild_day(store, day, fresh=True)
    assert result.read >= 30 and result.failed == 0
    found = lookup(request, ctx(account), store=store).events
    assert [e["EventId"] for e in found] == [e["EventId"] for e in reversed(events)]
    store.close()
