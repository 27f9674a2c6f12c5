"""The query path behind LookupEvents/LookUpEvents, against the session's search store:
attribute filters, full-text search, the never-expiring paging order, tokens, the days a
lookup by id reads, retention."""
import datetime as dt
import json
import uuid

import pytest

from ca_support import make_event, new_account, now_ms
from layers.audit import indices
from layers.audit.document import content, family
from layers.audit.indexer import Indexer, Message
from layers.audit.lookup import LookupRequest, lookup
from layers.audit.retention import drop_expired, expired_days
from layers.audit.writer import store_events
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError
from layers.search.default import default_store
from layers.search.store import StoreUnavailable

DAY = 86_400_000


def ctx(account: str, operator: bool = False) -> RequestContext:
    return RequestContext(request_id="r", service="cloudaudit", version="2019-03-04", action="LookupEvents",
                          region="ap-guangzhou", account=account, uin=account, operator=operator)


def index(events) -> None:
    out = Indexer(default_store()).process([Message(str(i), json.dumps(e)) for i, e in enumerate(events)])
    assert not out.failed, out.errors


def find(account, start, end, *, attrs=(), content="", lookup_type="", size=50, token="", owner="", caller=None,
         store=None):
    req = LookupRequest(start_time=start, end_time=end, max_results=size, next_token=token, owner_uin=owner,
                        attributes=list(attrs), lookup_type=lookup_type, content_value=content)
    return lookup(req, caller or ctx(account), store=store)


def ids(page) -> list:
    return [e["EventId"] for e in page.events]


def code(fn, *args, **kwargs) -> str:
    with pytest.raises(ApiError) as err:
        fn(*args, **kwargs)
    return err.value.code


@pytest.fixture(scope="module")
def calls(stack):
    """A small, varied history of one account."""
    account, t = new_account(), now_ms() - 600_000
    ev = {
        "create": make_event(account, t + 1, action="CreateResource", resources=["vsm-aaaa1111"], resource_type="vsm",
                             params={"Tags": [{"TagKey": "env", "TagValue": "prod"}], "Name": "支付加密机"}),
        "modify": make_event(account, t + 2, action="ModifyVsmAttributes", resources=["vsm-aaaa1111"],
                             resource_type="vsm", uin="200000000001", source_ip="10.9.9.9",
                             secret_id="AKIDsubuserkey0000000002"),
        "denied": make_event(account, t + 3, action="TerminateVsm", error="AuthFailure.UnauthorizedOperation",
                             resources=["vsm-bbbb2222"], resource_type="vsm"),
        "failed": make_event(account, t + 4, action="DescribeVsms", error="InvalidParameterValue"),
        "bastion": make_event(account, t + 5, action="DescribeUsers", service="bhsaas"),
    }
    index(ev.values())
    return account, t, ev


@pytest.mark.parametrize("key,value,expected", [
    ("RequestId", lambda e: e["modify"]["RequestId"], ["modify"]),
    ("EventName", lambda e: "TerminateVsm", ["denied"]),
    ("ReadOnly", lambda e: "true", ["failed", "bastion"]),
    ("Username", lambda e: "200000000001", ["modify"]),
    ("ResourceType", lambda e: "vsm", ["create", "modify", "denied"]),
    ("ResourceName", lambda e: "vsm-aaaa1111", ["create", "modify"]),
    ("ResourceId", lambda e: "vsm-bbbb2222", ["denied"]),
    ("AccessKeyId", lambda e: "AKIDsubuserkey0000000002", ["modify"]),
    ("EventId", lambda e: e["bastion"]["EventId"], ["bastion"]),
    ("EventSource", lambda e: "bhsaas.tencentcloudapi.com", ["bastion"]),
    ("SourceIPAddress", lambda e: "10.9.9.9", ["modify"]),
    ("ApiErrorCode", lambda e: "InvalidParameterValue", ["failed"]),
    ("CamErrorCode", lambda e: "AuthFailure.UnauthorizedOperation", ["denied"]),
    ("ActionType", lambda e: "write", ["create", "modify", "denied"]),
    ("PrincipalId", lambda e: "200000000001", ["modify"]),
    ("SensitiveAction", lambda e: "true", ["modify", "denied"]),
    ("Tags", lambda e: '[{"key":"env","value":"prod"}]', ["create"]),
    ("Tags", lambda e: '[{"key":"env"}]', ["create"]),
])
def test_each_attribute_key_finds_exactly_its_events(calls, key, value, expected):
    account, t, ev = calls
    page = find(account, t, t + 10, attrs=[(key, value(ev))])
    assert sorted(ids(page)) == sorted(ev[k]["EventId"] for k in expected)


def test_a_lookup_finds_only_its_own_accounts_events_holding_a_value_another_account_shares(calls):
    """Filters are account-scoped keys with no AccountId filter beside them: another account's
    event holding the very same values (names, address, key, resource, tag, error) is never
    found, by exact value, fuzzy match or identifier keyword, and it finds only its own."""
    account, t, ev = calls
    other = new_account()
    twin = make_event(other, t + 6, action="CreateResource", resources=["vsm-aaaa1111"], resource_type="vsm",
                      uin="200000000001", source_ip="10.9.9.9", secret_id="AKIDsubuserkey0000000002",
                      error="AuthFailure.UnauthorizedOperation",
                      params={"Tags": [{"TagKey": "env", "TagValue": "prod"}], "Name": "支付加密机"})
    index([twin])
    shared = [("EventName", "CreateResource"), ("ResourceType", "vsm"), ("ResourceName", "vsm-aaaa1111"),
              ("Username", "200000000001"), ("PrincipalId", "200000000001"), ("SourceIPAddress", "10.9.9.9"),
              ("AccessKeyId", "AKIDsubuserkey0000000002"), ("CamErrorCode", "AuthFailure.UnauthorizedOperation"),
              ("Tags", '[{"key":"env","value":"prod"}]'), ("ActionType", "Write"), ("ReadOnly", "false"),
              ("EventSource", "cloudhsm.tencentcloudapi.com")]
    for attr in shared:
        mine, theirs = find(account, t, t + 10, attrs=[attr]), find(other, t, t + 10, attrs=[attr])
        assert ids(mine) and twin["EventId"] not in ids(mine), attr
        assert ids(theirs) == [twin["EventId"]], attr
    assert twin["EventId"] not in ids(find(account, t, t + 10, attrs=[("EventName", "create")], lookup_type="fuzzy"))
    assert ids(find(other, t, t + 10, attrs=[("EventName", "create")], lookup_type="fuzzy")) == [twin["EventId"]]
    assert ids(find(account, t, t + 10, content="vsm-aaaa1111")) == [ev["modify"]["EventId"], ev["create"]["EventId"]]
    assert ids(find(other, t, t + 10, content="vsm-aaaa1111")) == [twin["EventId"]]
    # empty values are not indexed: an empty AttributeValue matches nothing, not even the calls
    # that succeeded (their ApiErrorCode is empty)
    assert ids(find(account, t, t + 10, attrs=[("ApiErrorCode", "")])) == []


def test_different_keys_and_together_and_a_repeated_key_ors(calls):
    account, t, ev = calls
    both = find(account, t, t + 10, attrs=[("ResourceType", "vsm"), ("ActionType", "Write"), ("Username", account)])
    assert sorted(ids(both)) == sorted([ev["create"]["EventId"], ev["denied"]["EventId"]])
    either = find(account, t, t + 10, attrs=[("EventName", "DescribeUsers"), ("EventName", "CreateResource")])
    assert sorted(ids(either)) == sorted([ev["bastion"]["EventId"], ev["create"]["EventId"]])


def test_fuzzy_lookup_type_matches_substrings_case_insensitively(calls):
    account, t, ev = calls
    page = find(account, t, t + 10, attrs=[("EventName", "vsm")], lookup_type="fuzzy")
    assert sorted(ids(page)) == sorted(ev[k]["EventId"] for k in ("modify", "denied", "failed"))
    assert code(find, account, t, t + 10, lookup_type="exact") == "InvalidParameterValue"


def test_content_value_searches_the_whole_event_including_chinese(calls):
    account, t, ev = calls
    assert ids(find(account, t, t + 10, content="支付加密机")) == [ev["create"]["EventId"]]
    assert ids(find(account, t, t + 10, content="支付")) == [ev["create"]["EventId"]]
    hsm = find(account, t, t + 10, content="加密机")      # names and resource types in Chinese too
    assert sorted(ids(hsm)) == sorted(ev[k]["EventId"] for k in ("create", "modify", "denied", "failed"))
    assert ids(find(account, t, t + 10, content="vsm-bbbb2222")) == [ev["denied"]["EventId"]]
    assert sorted(ids(find(account, t, t + 10, content="退还虚拟加密机"))) == [ev["denied"]["EventId"]]  # EventNameCn
    assert ids(find(account, t, t + 10, content="no such words")) == []
    # a phrase, not just its words: order counts, Latin words and numbers are matched whole
    assert ids(find(account, t, t + 10, content="加密机支付")) == []
    assert ids(find(account, t, t + 10, content="vsm-bbbb222")) == []
    assert ids(find(account, t, t + 10, content="ＩＮＶＡＬＩＤparameterValue")) == [ev["failed"]["EventId"]]
    assert ids(find(account, t, t + 10, content="invalidparametervalue happened")) == [ev["failed"]["EventId"]]
    assert ids(find(account, t, t + 10, content="happened invalidparametervalue")) == []
    # one Chinese character is no word the store is asked for: the account's events are each checked
    single = sorted(e["EventId"] for e in ev.values() if "机" in content(e))
    assert single and sorted(ids(find(account, t, t + 10, content="机"))) == single
    assert ids(find(new_account(), t, t + 10, content="机")) == []


def test_a_keyword_of_common_words_finds_its_rare_phrase_among_many_candidates(stack):
    """Every event holds both pairs of "alpha beta gamma"; only one holds the phrase: the scan
    turns down over a thousand candidates, narrows the store's query and still finds it."""
    account, t = new_account(), now_ms() - 3_600_000
    noise = [make_event(account, t + i, params={"Name": "alpha beta", "Note": "beta gamma"}) for i in range(1200)]
    wanted = make_event(account, t + 600, action="CreateResource", params={"Name": "Alpha-Beta-Gamma"})
    index(noise + [wanted])
    assert ids(find(account, t, t + 1300, content="alpha beta gamma", size=10)) == [wanted["EventId"]]
    assert len(find(account, t, t + 1300, content="alpha beta", size=100).events) == 100


def test_invalid_attributes_are_refused_with_the_parameter_named(calls):
    account, t, _ = calls
    with pytest.raises(ApiError) as err:
        find(account, t, t + 10, attrs=[("EventName", "x"), ("Colour", "red")])
    assert err.value.code == "InvalidParameterValue.attributeKey" and "LookupAttributes.1.AttributeKey" in err.value.message
    assert code(find, account, t, t + 10, attrs=[("ReadOnly", "maybe")]) == "InvalidParameterValue"
    assert code(find, account, t, t + 10, attrs=[("Tags", "env=prod")]) == "InvalidParameterValue"
    assert code(find, account, t + 10, t) == "InvalidParameterValue.Time"


def test_seconds_and_milliseconds_are_the_same_range(calls):
    account, t, ev = calls
    in_ms = find(account, t - 1000, t + 1000)
    in_s = find(account, (t - 1000) // 1000, (t + 1000) // 1000 + 1)
    assert ids(in_ms) == ids(in_s) and len(ids(in_ms)) == 5


def test_paging_across_days_returns_each_event_once_in_order_while_events_arrive(stack):
    account = new_account()
    end = now_ms()
    original = [make_event(account, end - i * 3_600_000 // 2) for i in range(120)]   # 60 h, 3-4 days
    index(original)
    seen, token, pages = [], "", 0
    while True:
        page = find(account, end - 4 * DAY, end + 1000, size=7, token=token)
        seen.extend(page.events)
        pages += 1
        # Meanwhile, new events arrive: newer than everything, and late ones inside the range.
        index([make_event(account, now_ms() + pages), make_event(account, end - 3_600_000 * pages)])
        if page.list_over:
            assert page.next_token == ""
            break
        token = page.next_token
    got = [e["EventId"] for e in seen]
    assert len(got) == len(set(got))                          # never twice
    assert {e["EventId"] for e in original} <= set(got)       # never skipped
    order = [(e["EventTime"], e["EventId"]) for e in seen]
    assert order == sorted(order, reverse=True)               # one total order


def test_tokens_are_bound_to_their_query_and_refuse_tampering(calls):
    account, t, _ = calls
    first = find(account, t, t + 10, size=2)
    assert not first.list_over and first.next_token
    assert ids(find(account, t, t + 10, size=2, token=first.next_token))          # same query: fine
    payload, mac = first.next_token.split(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    bad_mac = mac[:-1] + ("x" if mac[-1] != "x" else "y")     # one character off, whatever it was
    for bad in (f"{flipped}.{mac}", f"{payload}.{bad_mac}", "garbage", "a.b", "夹" * 10):
        assert code(find, account, t, t + 10, size=2, token=bad) == "InvalidParameterValue"
    for changed in (dict(content="x"), dict(attrs=[("ResourceType", "vsm")]), dict(lookup_type="fuzzy")):
        assert code(find, account, t, t + 10, size=2, token=first.next_token, **changed) == "InvalidParameterValue"
    assert code(find, account, t, t + 11, size=2, token=first.next_token) == "InvalidParameterValue"
    other = new_account()
    assert code(find, other, t, t + 10, size=2, token=first.next_token) == "InvalidParameterValue"


def test_owner_uin_needs_an_operator_credential(calls):
    account, t, _ = calls
    stranger = new_account()
    assert code(find, stranger, t, t + 10, owner=account) == "UnauthorizedOperation"
    assert find(stranger, t, t + 10).events == []
    operator = find(stranger, t, t + 10, owner=account, caller=ctx(stranger, operator=True))
    assert len(operator.events) == 5
    assert len(find(account, t, t + 10, owner=account).events) == 5        # one's own uin is fine


class Recording:
    """A store wrapper that records each search it was given."""

    def __init__(self, inner):
        self.inner, self.searches = inner, []

    def search(self, search):
        self.searches.append(search)
        return self.inner.search(search)


def test_an_id_lookup_reads_the_day_its_id_carries_and_older_ids_are_found_everywhere(stack):
    account, end = new_account(), now_ms()
    new = make_event(account, end - 3 * DAY)                  # ids minted with their time, as the gateway does
    old = make_event(account, end - 5 * DAY)
    old["RequestId"], old["EventId"] = str(uuid.uuid4()), uuid.uuid4().hex     # ids from before: no time in them
    index([new, old] + [make_event(account, end - d * DAY) for d in range(7)])
    for key in ("RequestId", "EventId"):
        spy = Recording(default_store())
        page = lookup(LookupRequest(start_time=end - 10 * DAY, end_time=end, max_results=10,
                                    attributes=[(key, new[key])]), ctx(account), store=spy)
        assert ids(page) == [new["EventId"]]
        searched = {(indices.day_of(s.start_ms), indices.day_of(s.end_ms)) for s in spy.searches}
        minted_day = indices.day_of(new["EventTime"])
        assert all(first >= minted_day - dt.timedelta(days=1) and last <= minted_day + dt.timedelta(days=1)
                   for first, last in searched), searched
        page = lookup(LookupRequest(start_time=end - 10 * DAY, end_time=end, max_results=10,
                                    attributes=[(key, old[key])]), ctx(account))
        assert ids(page) == [old["EventId"]]
    # an id minted outside the range finds nothing, without an error
    assert ids(find(account, end - 2 * DAY, end, attrs=[("EventId", new["EventId"])])) == []


def test_a_wide_range_finds_events_on_any_day_and_nothing_outside_it(stack):
    account, end = new_account(), now_ms()
    events = [make_event(account, end - d * DAY) for d in (0, 1, 40, 200)]
    index(events)
    assert ids(find(account, 0, 253402300799999)) == [e["EventId"] for e in events]
    assert ids(find(account, end - 41 * DAY, end - DAY)) == [events[1]["EventId"], events[2]["EventId"]]


def test_retention_drops_days_of_365_and_older_and_queries_stop_there(stack, tmp_path):
    # a store of its own: retention in 2031 would drop every day the other tests write
    from layers.search.embedded import EmbeddedStore
    today = dt.date(2031, 6, 1)
    days = [today - dt.timedelta(days=d) for d in (0, 364, 365, 400)]
    assert expired_days(days, today, 365) == days[2:]
    store, events = EmbeddedStore(str(tmp_path / "search")), family("traillog_server_log")
    try:
        account = new_account()
        now = indices.day_start_ms(today) + 3_600_000
        store_events(store, [make_event(account, now - d * DAY) for d in (364, 364, 365, 400)], "traillog_server_log")
        assert store.count(events, days[2]) == 1
        dropped = drop_expired(store, now_ms=now)
        assert set(dropped) == {events.partition(d) for d in days[2:]}
        assert store.count(events, days[1]) == 2 and store.count(events, days[2]) == 0
        found = find(account, now - 500 * DAY, now, store=store)
        assert len(found.events) == 2 and ids(found) == ids(find(account, now - 364 * DAY - 1, now, store=store))
    finally:
        store.close()


def test_an_unreachable_store_is_a_clean_api_error(calls):
    account, t, _ = calls

    class Down:
        def search(self, *a, **k):
            raise StoreUnavailable("connection refused")

    req = LookupRequest(start_time=t, end_time=t + 10, max_results=10)
    with pytest.raises(ApiError) as err:
        lookup(req, ctx(account), store=Down())
    assert err.value.code == "ResourceUnavailable"
