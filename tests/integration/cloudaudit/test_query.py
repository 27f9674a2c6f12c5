"""The query path behind LookupEvents/LookUpEvents, against the session's osmem-server:
attribute filters, full-text search, the never-expiring paging order, tokens, the daily
indices a query reads, retention."""
import datetime as dt
import json
import uuid

import pytest

from ca_support import make_event, new_account, now_ms
from layers.audit import indices, value_days
from layers.audit.config import reload_audit_settings
from layers.audit.document import CONTENT, EVENT, WORDS, content, to_document
from layers.audit.indexer import Indexer, Message
from layers.audit.lookup import LookupRequest, lookup
from layers.audit.retention import drop_expired, expired_indices
from layers.audit.store import Doc, StoreUnavailable, default_store
from layers.audit.templates import install as install_templates, templates
from layers.audit.writer import store_events
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError

DAY = 86_400_000


def ctx(account: str, operator: bool = False) -> RequestContext:
    return RequestContext(request_id="r", service="cloudaudit", version="2019-03-04", action="LookupEvents",
                          region="ap-guangzhou", account=account, uin=account, operator=operator)


def index(events) -> None:
    out = Indexer(default_store()).process([Message(str(i), json.dumps(e)) for i, e in enumerate(events)])
    assert not out.failed, out.errors


def find(account, start, end, *, attrs=(), content="", lookup_type="", size=50, token="", owner="", caller=None):
    req = LookupRequest(start_time=start, end_time=end, max_results=size, next_token=token, owner_uin=owner,
                        attributes=list(attrs), lookup_type=lookup_type, content_value=content)
    return lookup(req, caller or ctx(account))


def ids(page) -> list:
    return [e["EventId"] for e in page.events]


@pytest.fixture
def since(monkeypatch):
    """since(setting, day): an upgrade's GZ_AUDIT_*_SINCE day for the rest of the test."""
    names = []

    def set_since(name: str, day: dt.date) -> None:
        names.append(name)
        monkeypatch.setenv(name, day.isoformat())
        reload_audit_settings()
    yield set_since
    for name in names:
        monkeypatch.delenv(name, raising=False)
    reload_audit_settings()


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
    assert err.value.code == "InvalidParameterValue" and "LookupAttributes.1.AttributeKey" in err.value.message
    assert code(find, account, t, t + 10, attrs=[("ReadOnly", "maybe")]) == "InvalidParameterValue"
    assert code(find, account, t, t + 10, attrs=[("Tags", "env=prod")]) == "InvalidParameterValue"
    assert code(find, account, t + 10, t) == "InvalidParameterValue"


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
    """A store wrapper that records which indices each search read."""

    def __init__(self, inner):
        self.inner, self.searched, self.listed, self.queries, self.hits = inner, [], 0, [], []

    def search(self, names, query, *args, **kwargs):
        self.searched.append(list(names))
        self.queries.append(query)
        hits = self.inner.search(names, query, *args, **kwargs)
        self.hits.append(hits)
        return hits

    def list_indices(self, pattern):
        self.listed += 1
        return self.inner.list_indices(pattern)


def test_a_query_reads_only_the_daily_indices_its_range_covers(stack):
    account = new_account()
    end = now_ms()
    index([make_event(account, end - d * DAY) for d in range(0, 6)])
    spy = Recording(default_store())
    page = lookup(LookupRequest(start_time=end - 2 * DAY - 1000, end_time=end, max_results=50), ctx(account),
                  store=spy)
    assert len(page.events) == 3
    read = {n for names in spy.searched for n in names}
    wanted = {indices.index_for("traillog_server_log", end - d * DAY) for d in range(3)}
    assert read <= wanted and indices.index_for("traillog_server_log", end) in read
    assert all("*" not in n for n in read)
    # A dense range is answered from the newest day alone, without listing indices.
    index([make_event(account, end - 1), make_event(account, end - 2)])
    spy = Recording(default_store())
    lookup(LookupRequest(start_time=end - 2 * DAY, end_time=end, max_results=1), ctx(account), store=spy)
    assert spy.searched == [[indices.index_for("traillog_server_log", end)]] and spy.listed == 0


def _by_hours(query: dict) -> bool:
    return "|Hour|" in json.dumps(query)


def test_a_page_of_the_newest_events_reads_their_hours_first_then_the_rest_of_the_day(stack):
    account, other = new_account(), new_account()
    end = _noon(now_ms() - 2 * DAY) + 2 * 3_600_000 + 60_000          # 14:01, in a day of its own
    events = [make_event(account, end - i * 1_200_000) for i in range(30)]       # every 20 min, 10 h back
    index(events + [make_event(other, end - i * 600_000) for i in range(12)])  # another account, same hours
    expected = sorted(((e["EventTime"], e["EventId"]) for e in events), reverse=True)
    day_index = indices.index_for("traillog_server_log", end)

    def page(size, token="", store=None):
        return lookup(LookupRequest(start_time=end - DAY // 2, end_time=end, max_results=size, next_token=token),
                      ctx(account), store=store or default_store())

    spy = Recording(default_store())   # the newest two hours (4 events) hold the page and one more: one search
    assert [(e["EventTime"], e["EventId"]) for e in page(3, store=spy).events] == expected[:3]
    assert spy.searched == [[day_index]] and _by_hours(spy.queries[0])
    spy = Recording(default_store())                   # they do not: the rest of the day after them
    assert [(e["EventTime"], e["EventId"]) for e in page(20, store=spy).events] == expected[:20]
    assert spy.searched == [[day_index]] * 2 and [_by_hours(q) for q in spy.queries] == [True, False]
    seen, token = [], ""
    while True:                                        # a page's cursor starts the next one's hours
        got = page(7, token)
        seen += [(e["EventTime"], e["EventId"]) for e in got.events]
        if got.list_over:
            break
        token = got.next_token
    assert seen == expected


def test_days_written_before_events_carried_their_hour_are_read_by_the_account(stack, since):
    account = new_account()
    end = _noon(now_ms() - 6 * DAY)
    older = [make_event(account, end - i * 60_000) for i in range(6)]        # written without an hour key
    store = default_store()
    docs = [to_document(e) for e in older[::2]]
    store.bulk_create([Doc(indices.index_for("traillog_server_log", d["EventTime"]), d["EventId"],
                           {**d, "Keys": [k for k in d["Keys"] if "|Hour|" not in k]}) for d in docs])
    index(older[1::2])                                  # the same day, written after: with their hour
    since("GZ_AUDIT_HOURS_SINCE", indices.day_of(end + DAY))
    spy = Recording(store)
    page = lookup(LookupRequest(start_time=end - DAY // 2, end_time=end, max_results=3), ctx(account), store=spy)
    assert ids(page) == [e["EventId"] for e in older[:3]]
    assert not any(_by_hours(q) for q in spy.queries)


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
        read = {n for names in spy.searched for n in names}
        assert read == {indices.index_for("traillog_server_log", end - 3 * DAY)}, read
        page = lookup(LookupRequest(start_time=end - 10 * DAY, end_time=end, max_results=10,
                                    attributes=[(key, old[key])]), ctx(account))
        assert ids(page) == [old["EventId"]]
    # an id minted outside the range finds nothing, without an error
    assert ids(find(account, end - 2 * DAY, end, attrs=[("EventId", new["EventId"])])) == []


def _read_days(spy) -> set:
    """The daily indices a recorded query read (the value-days digest is not one)."""
    return {n for names in spy.searched for n in names if indices.parse_index("traillog_server_log", n)}


def test_a_rare_value_reads_only_the_days_that_hold_it(stack):
    account, end = new_account(), now_ms()
    busy = [make_event(account, end - d * DAY - i, source_ip="10.0.0.1", action="DescribeVsms",
                       params={"Tags": [{"TagKey": "team", "TagValue": "pay"}]} if d == 6 else None)
            for d in range(12) for i in range(2)]
    rare = [make_event(account, end - 4 * DAY, source_ip="10.7.7.7", action="TerminateVsm"),
            make_event(account, end - 9 * DAY, source_ip="10.7.7.7", action="CreateResource")]
    index(busy + rare)
    day = lambda d: indices.index_for("traillog_server_log", end - d * DAY)   # noqa: E731
    cases = [
        ([("SourceIPAddress", "10.7.7.7")], rare, {day(0), day(4), day(9)}),
        ([("SourceIPAddress", "10.7.7.7"), ("EventName", "TerminateVsm")], rare[:1], {day(0), day(4)}),
        ([("EventName", "TerminateVsm"), ("EventName", "CreateResource")], rare, {day(0), day(4), day(9)}),
        ([("Tags", '[{"key":"team","value":"pay"}]')], busy[12:14], {day(0), day(6)}),
        ([("SourceIPAddress", "10.6.6.6")], [], {day(0)}),             # never seen: the newest day only
        # each key is placed on its own: days where both occur are read, if on different events
        ([("SourceIPAddress", "10.7.7.7"), ("EventName", "DescribeVsms")], [], {day(0), day(4), day(9)}),
    ]
    for attrs, expected, read in cases:
        spy = Recording(default_store())
        page = lookup(LookupRequest(start_time=end - 11 * DAY - 1000, end_time=end, max_results=50, attributes=attrs),
                      ctx(account), store=spy)
        assert ids(page) == [e["EventId"] for e in sorted(expected, key=lambda e: (e["EventTime"], e["EventId"]),
                                                          reverse=True)], attrs
        assert _read_days(spy) == read, attrs
    # another account's values place nothing for this one, and a fuzzy match still reads every day
    assert ids(find(new_account(), end - 11 * DAY, end, attrs=[("SourceIPAddress", "10.7.7.7")])) == []
    spy = Recording(default_store())
    page = lookup(LookupRequest(start_time=end - 11 * DAY - 1000, end_time=end, max_results=50, lookup_type="fuzzy",
                                attributes=[("SourceIPAddress", "10.7.7.")]), ctx(account), store=spy)
    assert len(page.events) == 2 and {day(d) for d in range(12)} <= _read_days(spy)


def _noon(ms: int) -> int:
    """Noon (UTC) of the day of `ms`: a time whose neighbourhood stays in its day."""
    return indices.day_start_ms(indices.day_of(ms)) + DAY // 2


def test_a_keyword_reads_only_the_days_holding_its_words_or_holding_it_as_an_id(stack):
    account, end = new_account(), now_ms()
    busy = [make_event(account, _noon(end - d * DAY) - i, params={"Name": "支付加密机-1"})
            for d in range(1, 12) for i in range(2)] + [make_event(account, end - 1)]
    named = make_event(account, _noon(end - 4 * DAY), action="ModifyVsmAttributes", params={"Name": "支付加密机-77"})
    by_user = make_event(account, _noon(end - 7 * DAY), uin="200000000077")
    foreign = {**make_event(account, _noon(end - 9 * DAY)), "RequestId": "req-from-elsewhere-1"}   # no time in it
    minted = make_event(account, _noon(end - 6 * DAY))                        # its RequestId carries its time
    index(busy + [named, by_user, foreign, minted])
    day = lambda d: indices.index_for("traillog_server_log", end - d * DAY)   # noqa: E731
    cases = [
        ("支付加密机-77", [named], {day(0), day(4)}),
        ("加密机 77", [named], {day(0), day(4)}),
        ("支付加密机-1", busy[:-1], {day(d) for d in range(12)}),
        ("加密机-99", [], {day(0)}),                          # its most telling word is on no day
        ("200000000077", [by_user], {day(0), day(7)}),        # an identifier: the user's id
        ("req-from-elsewhere-1", [foreign], {day(0), day(9)}),
        (minted["RequestId"], [minted], {day(0), day(6)}),     # the day its time names
        ("no such words", [], {day(0)}),
    ]
    for keyword, expected, read in cases:
        spy = Recording(default_store())
        page = lookup(LookupRequest(start_time=end - 12 * DAY, end_time=end, max_results=50, content_value=keyword),
                      ctx(account), store=spy)
        assert sorted(ids(page)) == sorted(e["EventId"] for e in expected), keyword
        assert _read_days(spy) == read, keyword
    # another account's words place nothing for this one
    assert ids(find(new_account(), end - 12 * DAY, end, content="支付加密机-77")) == []


def test_what_one_day_holds_in_different_digest_documents_is_put_together(stack):
    """The indexer leaves out of a batch's digest document what it stored lately, so one event's
    values and words may be spread over the documents of its day: a value whose tags must all be
    on one day is placed by the day, not by the document."""
    account, end = new_account(), now_ms()
    t = _noon(end - 3 * DAY)
    env, team = {"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "pay"}
    first = make_event(account, t, params={"Tags": [env], "Name": "alpha beta"})
    second = make_event(account, t + 1, params={"Tags": [env, team], "Name": "alpha beta gamma"})
    index([first])
    index([second])                 # a batch of its own: its digest document leaves out env and "alpha"
    index([make_event(account, end - d * DAY) for d in range(3)])
    store, month = default_store(), value_days.index_name("traillog_server_log", indices.day_of(t))
    holding = lambda *terms: len(store.search([month], {"bool": {"filter": [   # noqa: E731
        {"term": {"AccountId": account}}, *({"term": {f: v}} for f, v in terms)]}}, sort=[], size=10))
    assert holding(("Tags", '["env", "prod"]'), ("Tags", '["team", "pay"]')) == 0
    assert holding(("Words", "alpha"), ("Words", "gamma")) == 0
    both = '[{"key":"env","value":"prod"},{"key":"team","value":"pay"}]'
    assert ids(find(account, end - 5 * DAY, end, attrs=[("Tags", both)])) == [second["EventId"]]
    assert ids(find(account, end - 5 * DAY, end, content="Alpha beta Gamma")) == [second["EventId"]]


def test_a_digest_from_before_words_were_kept_gains_them_and_older_days_are_read(stack, since):
    account, end = new_account(), now_ms()
    t = _noon(end - 300 * DAY)
    store, month = default_store(), value_days.index_name("traillog_server_log", indices.day_of(t))
    assert month not in store.list_indices(month)
    before = templates()["traillog_server_log_days"]["template"]          # its template before: no words nor ids
    for name in ("Words", "EventId", "RequestId"):
        before["mappings"]["properties"].pop(name)
        before["mappings"]["_source"]["excludes"].remove(name)
    store.client.indices.create(index=month, body=before)
    old = make_event(account, t, params={"Name": "legacy-words-1"})       # written then: a digest without words
    store.bulk_create([Doc(month, "before", {"AccountId": account, "Day": f"{indices.day_of(t):%Y.%m.%d}"}),
                       Doc(indices.index_for("traillog_server_log", t), old["EventId"], to_document(old))])
    install_templates(store)        # what an upgraded indexer does before its first write
    new = make_event(account, t + 1000, params={"Name": "fresh-words-2"})
    index([new])
    assert ids(find(account, t - DAY, end, content="fresh-words-2")) == [new["EventId"]]
    assert ids(find(account, t - DAY, end, content="legacy-words-1")) == []          # the digest cannot know it
    since("GZ_AUDIT_WORDS_SINCE", indices.day_of(t + DAY))
    assert ids(find(account, t - DAY, end, content="legacy-words-1")) == [old["EventId"]]


def test_a_value_missing_from_the_newest_day_reads_the_days_holding_it_a_few_at_a_time(stack):
    account, end = new_account(), now_ms()
    day = lambda d: indices.index_for("traillog_server_log", end - d * DAY)   # noqa: E731
    spread = [make_event(account, _noon(end - d * DAY) - i, source_ip="10.9.9.9") for d in range(1, 21) for i in range(2)]
    index(spread + [make_event(account, end - d * DAY) for d in range(21)])
    newest_first = [e["EventId"] for e in sorted(spread, key=lambda e: (e["EventTime"], e["EventId"]), reverse=True)]
    for size, batches in ((5, [[0], range(1, 5)]),                       # the first four days fill the page
                          (50, [[0], range(1, 5), range(5, 13), range(13, 21)])):   # then twice as many
        spy = Recording(default_store())
        page = lookup(LookupRequest(start_time=end - 21 * DAY, end_time=end, max_results=size,
                                    attributes=[("SourceIPAddress", "10.9.9.9")]), ctx(account), store=spy)
        assert ids(page) == newest_first[:size]
        read = [names for names in spy.searched if "_days-" not in names[0]]
        assert read == [[day(d) for d in days] for days in batches], size
        # the digest's days come back as its hits' sort values: no document is read back
        digest = [hits for names, hits in zip(spy.searched, spy.hits) if "_days-" in names[0]]
        assert len(digest) == 1 and digest[0] and all(h.source == {} and h.sort for h in digest[0])


def test_a_value_dense_on_the_newest_day_is_read_without_asking_the_digest(stack):
    account, end = new_account(), now_ms()
    index([make_event(account, end - d * DAY - i, action="DescribeVsms") for d in range(6) for i in range(4)] +
          [make_event(account, end - d * DAY - 10, action="TerminateVsm") for d in range(6)])
    for name, digest_asked, found in (("DescribeVsms", False, 5), ("TerminateVsm", True, 5)):
        spy = Recording(default_store())
        page = lookup(LookupRequest(start_time=end - 6 * DAY, end_time=end, max_results=5,
                                    attributes=[("EventName", name)]), ctx(account), store=spy)
        assert len(page.events) == found and {e["EventName"] for e in page.events} == {name}
        times = [e["EventTime"] for e in page.events]
        assert times == sorted(times, reverse=True)
        assert any("_days-" in n for names in spy.searched for n in names) is digest_asked, name


def test_the_indexer_writes_only_values_the_digest_does_not_hold_yet(stack):
    class Writes:
        def __init__(self, inner):
            self.inner, self.digest = inner, []

        def put_templates(self, templates):
            self.inner.put_templates(templates)

        def add_fields(self, pattern, properties):
            self.inner.add_fields(pattern, properties)

        def bulk_create(self, docs):
            self.digest.append([d.source for d in docs if "_days-" in d.index])
            return self.inner.bulk_create(docs)

    account, end = new_account(), now_ms()
    spy = Writes(default_store())
    batches = [[make_event(account, end - 3 * DAY, source_ip="10.4.4.4")],
               [make_event(account, end - 3 * DAY + 1, source_ip="10.4.4.4")],      # nothing new
               [make_event(account, end - 3 * DAY + 2, source_ip="10.4.4.5")]]
    for batch in batches:
        out = Indexer(spy).process([Message(e["EventId"], json.dumps(e)) for e in batch])
        assert not out.failed, out.errors
    assert [len(d) for d in spy.digest] == [1, 0, 1]
    assert spy.digest[2][0]["SourceIPAddress"] == ["10.4.4.5"]
    index([make_event(account, end - d * DAY) for d in range(5)])
    found = find(account, end - 4 * DAY, end, attrs=[("SourceIPAddress", "10.4.4.4")])
    assert ids(found) == [batches[1][0]["EventId"], batches[0][0]["EventId"]]


def test_days_before_the_digest_existed_are_always_read(stack, since):
    account, end = new_account(), now_ms()
    old = make_event(account, end - 5 * DAY, source_ip="10.5.5.5")      # stored before the digest: no day documents
    default_store().bulk_create([Doc(indices.index_for("traillog_server_log", old["EventTime"]), old["EventId"],
                                     to_document(old))])
    index([make_event(account, end - d * DAY) for d in range(7)])
    attrs = [("SourceIPAddress", "10.5.5.5")]
    assert ids(find(account, end - 6 * DAY, end, attrs=attrs)) == []     # the digest does not know it
    since("GZ_AUDIT_VALUE_DAYS_SINCE", indices.day_of(end - 3 * DAY))
    assert ids(find(account, end - 6 * DAY, end, attrs=attrs)) == [old["EventId"]]


# The daily indices' mapping before events carried their account's words: the text as Content.
BEFORE_WORDS = {"dynamic": False, "properties": {
    "EventId": {"type": "keyword"}, "EventTime": {"type": "date", "format": "epoch_millis"},
    "AccountId": {"type": "keyword"}, "Keys": {"type": "keyword"}, "Content": {"type": "text"}}}


def _before_words(event: dict) -> dict:
    """The document of an event as written before Words: its text as Content."""
    doc = {k: v for k, v in to_document(event).items() if k != WORDS}
    return {**doc, CONTENT: content(event)}


def test_documents_written_with_the_events_fields_at_the_top_level_are_found_and_read_back(stack, since):
    """Indices written before the event was kept as one string: their template kept the event's
    fields in _source (and the text as Content). A day holding both shapes reads as the events
    that were emitted."""
    account, end = new_account(), now_ms()
    old, new = (make_event(account, end - 200 * DAY + i, source_ip="10.6.6.6") for i in range(2))
    store, name = default_store(), indices.index_for("traillog_server_log", old["EventTime"])
    assert name not in store.list_indices(name)
    store.client.indices.create(index=name, body={"mappings": {**BEFORE_WORDS, "_source": {"excludes": ["Content", "Keys"]}}})
    legacy = {**{k: v for k, v in _before_words(old).items() if k != EVENT}, **old}
    store.bulk_create([Doc(name, old["EventId"], legacy)])
    index([new])                    # today's shape, same day (its digest names the day)
    since("GZ_AUDIT_ACCOUNT_WORDS_SINCE", indices.day_of(old["EventTime"]) + dt.timedelta(days=1))
    for found in (find(account, end - 201 * DAY, end, attrs=[("SourceIPAddress", "10.6.6.6")]),
                  find(account, end - 201 * DAY, end, content=old["EventName"])):
        assert found.events == [new, old]


def test_a_keyword_reads_days_written_before_events_carried_their_words_by_the_account(stack, since):
    """An upgraded store: a day written with the text as Content, which the upgrade's templates
    give a Words field (the events written after it carry theirs). Days before
    GZ_AUDIT_ACCOUNT_WORDS_SINCE are read by the account, each event checked; later days by the
    keyword's word alone; another account's events are never candidates."""
    account, other, end = new_account(), new_account(), now_ms()
    day_ms = end - 150 * DAY
    store, name = default_store(), indices.index_for("traillog_server_log", day_ms)
    store.client.indices.create(index=name, body={"mappings": BEFORE_WORDS})
    params = {"Name": "升级前加密机-42"}
    older = [make_event(account, day_ms + i, params=params) for i in range(3)]
    store.bulk_create([Doc(name, e["EventId"], _before_words(e)) for e in older])
    install_templates(store)                      # the upgrade: the day's index maps Words from now on
    later_same_day = make_event(account, day_ms + 10, params=params)
    newer = make_event(account, end - 140 * DAY, params=params)
    index([later_same_day, newer, make_event(other, day_ms + 20, params=params),
           make_event(account, day_ms + 30, params={"Name": "升级前加密机-4"})])
    expected = [newer["EventId"], later_same_day["EventId"], *[e["EventId"] for e in reversed(older)]]
    span = (end - 151 * DAY, end - 139 * DAY)
    assert ids(find(account, *span, content="升级前加密机-42")) == expected[:2]     # the older ones hold no Words
    since("GZ_AUDIT_ACCOUNT_WORDS_SINCE", indices.day_of(day_ms) + dt.timedelta(days=1))
    spy = Recording(default_store())
    page = lookup(LookupRequest(start_time=span[0], end_time=span[1], max_results=50, content_value="加密机-42"),
                  ctx(account), store=spy)
    assert ids(page) == expected
    reads = {tuple(names): json.dumps(query, ensure_ascii=False) for names, query in zip(spy.searched, spy.queries)}
    newer_day = indices.index_for("traillog_server_log", newer["EventTime"])
    assert all(WORDS in q and "AccountId" not in q for names, q in reads.items() if newer_day in names and name not in names)
    assert all("AccountId" in q and WORDS not in q for names, q in reads.items() if name in names)
    assert [e["AccountId"] for e in find(other, *span, content="加密机-42").events] == [other]


def test_retention_drops_indices_of_365_days_and_older_and_queries_stop_there(stack):
    today = dt.date(2031, 6, 1)
    names = [indices.index_name("traillog_server_log", today - dt.timedelta(days=d)) for d in (0, 364, 365, 400)]
    assert expired_indices(names + ["unrelated-2020.01.01", "traillog_server_log-junk"],
                           "traillog_server_log", today, 365) == names[2:]
    store = default_store()
    account = new_account()
    now = indices.day_start_ms(today) + 3_600_000
    old = [make_event(account, now - d * DAY) for d in (364, 365, 400)]
    store.bulk_create([Doc(indices.index_for("traillog_server_log", e["EventTime"]), e["EventId"], e) for e in old])
    store_events(store, [make_event(account, now - d * DAY) for d in (364, 400)], "traillog_server_log")
    dropped = drop_expired(store, now_ms=now)
    assert set(names[2:]) <= set(dropped) and names[1] not in dropped
    assert store.count(names[1], {"term": {"AccountId": account}}) == 2
    # the digest's month of day 400 is wholly past; the month of day 364 is not
    assert value_days.index_name("traillog_server_log", today - dt.timedelta(days=400)) in dropped
    assert value_days.index_name("traillog_server_log", today - dt.timedelta(days=364)) not in dropped


def test_an_unreachable_store_is_a_clean_api_error(calls):
    account, t, _ = calls

    class Down:
        def search(self, *a, **k):
            raise StoreUnavailable("connection refused")

        def list_indices(self, pattern):
            raise StoreUnavailable("connection refused")

    req = LookupRequest(start_time=t, end_time=t + 10, max_results=10)
    with pytest.raises(ApiError) as err:
        lookup(req, ctx(account), store=Down())
    assert err.value.code == "ResourceUnavailable"
