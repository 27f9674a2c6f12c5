"""One contract for every search backend: the same records written to the OpenSearch store (on the
session's osmem-server) and to the embedded store give the same answers, in the same order, to
every shape of LookupEvents, LookUpEvents, DescribeEvents, the export scan, SearchCommand and
SearchFile."""
import datetime as dt
import json
import random
import uuid

import pytest

from ca_support import OwnOsmem, make_event, new_account, now_ms
from functions.bhsaas import search_command, search_file
from functions.cloudaudit import describe_events, look_up_events
from layers.audit import lookup as lookup_mod
from layers.audit.document import family
from layers.audit.lookup import LookupRequest, lookup, lookup_numbered
from layers.audit.query import Query, Scanner
from layers.audit.writer import store_events
from layers.bastion import session_log
from layers.gateway.action import RequestContext
from layers.search.embedded import EmbeddedStore
from layers.search.families import all_families
from layers.search.opensearch import OpenSearchStore
from layers.search.query import Search
from layers.timeids import uuid7

HOUR = 3_600_000
NAMES = ["支付加密机-77", "payments vault", "审计日志 archive", "Build-Server 12", "测试机房"]
EVENTS = ["CreateResource", "ModifyVsmAttributes", "TerminateVsm", "DescribeVsms", "DescribeUsers"]
PUBLIC = ["114.114.114.114", "8.8.8.8", "2400:da00::6666"]      # China, United States, China (IPv6)


def _ip(i: int, n: int) -> str:
    """Mostly private addresses (Location "Intranet"), every tenth a public one."""
    return PUBLIC[i // 10 % 3] if i % 10 == 5 else f"10.0.0.{n}"


def _history(account: str, end: int, rng: random.Random, n: int = 160) -> list:
    out = []
    for i in range(n):
        t = end - rng.randrange(6 * 24 * HOUR)
        if i % 20 == 0:
            t = out[-1]["EventTime"] if out else t              # several events in one millisecond
        name = rng.choice(EVENTS)
        e = make_event(account, t, action=name, service="bhsaas" if name == "DescribeUsers" else "cloudhsm",
                       resources=[f"vsm-{rng.randrange(8):08x}"] if name != "DescribeVsms" else [],
                       resource_type="vsm" if name != "DescribeVsms" else "",
                       uin=rng.choice([account, "200000000001", "200000000002"]),
                       source_ip=_ip(i, rng.randrange(4)),
                       error=rng.choice(["", "", "", "InvalidParameterValue", "AuthFailure.UnauthorizedOperation"]),
                       params={"Name": rng.choice(NAMES), **({"Tags": [{"TagKey": "env", "TagValue": rng.choice(
                           ["prod", "dev"])}]} if rng.random() < 0.3 else {})})
        e["EventId"] = uuid7(t).hex if i % 20 else uuid.uuid4().hex          # and ids that carry no time
        out.append(e)
    return out


def _sessions(account: str, end: int, rng: random.Random) -> list:
    msgs = []
    for i in range(60):
        when = end - rng.randrange(3 * 24 * HOUR)
        base = {"EventId": uuid.uuid4().hex, "AccountId": account, "Time": when, "Sid": f"s-{i % 5}",
                "UserName": rng.choice(["alice", "bob"]), "RealName": rng.choice(["Alice Wong", "鲍勃"]),
                "Account": "root", "FromIp": "203.0.113.7", "InstanceId": rng.choice(["ins-web1", "ins-db1"]),
                "DeviceName": rng.choice(["web-server-1", "数据库-1"]), "PublicIp": "198.51.100.1",
                "PrivateIp": rng.choice(["10.0.0.1", "10.0.0.2"]), "SessionTime": "2024-03-01T09:59:00+08:00",
                "Action": rng.choice([1, 1, 2])}
        if i % 2:
            msgs.append({**base, "Type": "command", "Cmd": rng.choice(["ls -la", "sudo RM -rf /tmp/x", "cat *.log",
                                                                       "echo 审计"]), "TimeOffset": i * 1000})
        else:
            msgs.append({**base, "Type": "file", "Method": rng.choice([1, 2, 5]), "FileCurr": rng.choice(
                ["/etc/passwd", "/home/alice/报告.txt"]), "FileNew": "", "Size": 10, "Protocol": "SFTP"})
    return msgs


@pytest.fixture(scope="module")
def data(stack, tmp_path_factory):
    rng = random.Random(7)
    end = now_ms() - HOUR
    accounts = [new_account() for _ in range(3)]
    events = [e for a in accounts for e in _history(a, end, rng)]
    sessions = [m for a in accounts for m in _sessions(a, end, rng)]
    osmem = OwnOsmem()
    stores = {"opensearch": OpenSearchStore(osmem.svc.url),
              "embedded": EmbeddedStore(str(tmp_path_factory.mktemp("search")))}
    for store in stores.values():
        store.install(all_families())
        assert all(r.ok for r in store_events(store, events, "traillog_server_log"))
        by_kind: dict = {}
        for m in sessions:
            kind, rec = session_log.record(m)
            by_kind.setdefault(kind, []).append(rec)
        for kind, records in by_kind.items():
            assert all(r.ok for r in store.write(session_log.FAMILIES[kind], records))
            store.refresh(session_log.FAMILIES[kind])
        store.refresh(family("traillog_server_log"))
    yield stores, accounts, events, end
    stores["embedded"].close()
    osmem.stop()


def ctx(account: str) -> RequestContext:
    return RequestContext(request_id="r", service="cloudaudit", version="2019-03-04", action="LookupEvents",
                          region="ap-guangzhou", account=account, uin=account)


def pages(store, account, start, end, size, **kw) -> list:
    """Every event of a lookup, page after page through its tokens: (EventTime, EventId)."""
    out, token = [], ""
    while True:
        page = lookup(LookupRequest(start_time=start, end_time=end, max_results=size, next_token=token, **kw),
                      ctx(account), store=store)
        out += [(e["EventTime"], e["EventId"]) for e in page.events]
        if page.list_over:
            return out
        token = page.next_token


def both(data, fn):
    stores = data[0]
    got = {name: fn(store) for name, store in stores.items()}
    assert got["opensearch"] == got["embedded"]
    return got["embedded"]


def shapes(events, account):
    mine = [e for e in events if e["AccountId"] == account]
    e = mine[7]
    return [
        dict(), dict(attributes=[("EventName", "TerminateVsm")]), dict(attributes=[("ReadOnly", "true")]),
        dict(attributes=[("Username", "200000000001")]), dict(attributes=[("ResourceType", "vsm")]),
        dict(attributes=[("ResourceName", "vsm-00000003")]), dict(attributes=[("ResourceId", "vsm-00000005")]),
        dict(attributes=[("AccessKeyId", e["SecretId"])]), dict(attributes=[("EventId", e["EventId"])]),
        dict(attributes=[("RequestId", e["RequestId"])]), dict(attributes=[("EventSource", "bhsaas.tencentcloudapi.com")]),
        dict(attributes=[("EventRegion", "ap-guangzhou")]), dict(attributes=[("SourceIPAddress", "10.0.0.2")]),
        dict(attributes=[("ApiErrorCode", "InvalidParameterValue")]),
        dict(attributes=[("CamErrorCode", "AuthFailure.UnauthorizedOperation")]),
        dict(attributes=[("ActionType", "Write")]), dict(attributes=[("PrincipalId", account)]),
        dict(attributes=[("SensitiveAction", "true")]), dict(attributes=[("Tags", '[{"key":"env","value":"prod"}]')]),
        dict(attributes=[("EventName", "DescribeUsers"), ("EventName", "TerminateVsm")]),
        dict(attributes=[("ResourceType", "vsm"), ("SourceIPAddress", "10.0.0.1")]),
        dict(attributes=[("Location", "China")]), dict(attributes=[("Location", "Intranet")]),
        dict(attributes=[("Location", "United States"), ("ReadOnly", "false")]),
        dict(attributes=[("Location", "China"), ("Location", "United States")]),
        dict(attributes=[("EventName", "VSM")], lookup_type="fuzzy"),
        dict(attributes=[("SourceIPAddress", "0.0.3")], lookup_type="fuzzy"),
        dict(content_value="加密机"), dict(content_value="机"), dict(content_value="payments vault"),
        dict(content_value="vault payments"), dict(content_value="build server 12"), dict(content_value=e["EventId"]),
        dict(content_value="vsm-00000004"), dict(content_value="no such thing"),
    ]


def test_every_lookup_shape_pages_to_the_same_events_in_the_same_order(data):
    stores, accounts, events, end = data
    account = accounts[0]
    start = end - 7 * 24 * HOUR
    for shape in shapes(events, account):
        for size in (7, 50):
            got = both(data, lambda store: pages(store, account, start, end, size, **shape))
            assert got == sorted(got, reverse=True), shape
        if shape.get("content_value") not in ("no such thing", "vault payments"):   # words, not in that order
            assert got, shape
        else:
            assert got == [], shape


def test_time_windows_and_the_newest_page(data):
    stores, accounts, events, end = data
    account = accounts[1]
    mine = sorted(((e["EventTime"], e["EventId"]) for e in events if e["AccountId"] == account), reverse=True)
    for start, stop in ((end - 7 * 24 * HOUR, end), (end - 3 * 24 * HOUR, end - 24 * HOUR), (mine[5][0], mine[5][0])):
        got = both(data, lambda store: pages(store, account, start, stop, 10))
        assert got == [m for m in mine if start <= m[0] <= stop]


def test_look_up_events_the_2019_03_19_version(data, monkeypatch):
    stores, accounts, events, end = data
    account = accounts[2]

    def call(store):
        monkeypatch.setattr(lookup_mod, "default_store", lambda: store)
        p = look_up_events.Input(StartTime=(end - 7 * 24 * HOUR) // 1000, EndTime=end // 1000, MaxResults=50,
                                 LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ModifyVsmAttributes"}])
        return [e["EventId"] for e in look_up_events.handle.handler(p, ctx(account))["Events"]]
    assert both(data, call)


def numbered_pages(store, account, start, end, size, **kw) -> list:
    """Every event of a DescribeEvents-style lookup, page after page through its numeric tokens."""
    out, token = [], 0
    while True:
        page = lookup_numbered(LookupRequest(start_time=start, end_time=end, max_results=size, **kw),
                               ctx(account), token, store=store)
        out += [(e["EventTime"], e["EventId"]) for e in page.events]
        if page.list_over:
            assert page.next_token == 0
            return out
        assert page.next_token != token         # events come newest first: positions go back in time
        token = page.next_token


def test_describe_events_numeric_tokens_page_as_the_signed_tokens_do(data):
    """Numbered pages walk the same events in the same order as LookupEvents' tokens, the
    milliseconds that hold several events included (size 1 and 2 stop inside them)."""
    stores, accounts, events, end = data
    account = accounts[0]
    start = end - 7 * 24 * HOUR
    for shape in (dict(), dict(attributes=[("Location", "China")]),
                  dict(attributes=[("EventName", "TerminateVsm"), ("EventName", "DescribeUsers")]),
                  dict(attributes=[("ActionType", "Write"), ("Location", "Intranet")])):
        want = pages(stores["embedded"], account, start, end, 50, **shape)
        assert want, shape
        for size in (1, 2, 50):
            assert both(data, lambda store: numbered_pages(store, account, start, end, size, **shape)) == want, shape


def test_describe_events_the_handler(data, monkeypatch):
    stores, accounts, events, end = data
    account = accounts[1]
    mine = {e["EventId"]: e for e in events if e["AccountId"] == account}

    def call(store):
        monkeypatch.setattr(lookup_mod, "default_store", lambda: store)
        p = describe_events.Input(StartTime=(end - 7 * 24 * HOUR) // 1000, EndTime=end // 1000, MaxResults=50,
                                  IsReturnLocation=1, LookupAttributes=[
                                      {"AttributeKey": "Location", "AttributeValue": "United States"}])
        return [(e["EventId"], e["Location"]) for e in describe_events.handle.handler(p, ctx(account))["Events"]]
    got = both(data, call)
    assert got and all(loc == "United States" and mine[i]["SourceIPAddress"] == "8.8.8.8" for i, loc in got)


def test_the_export_scan(data):
    stores, accounts, events, end = data
    query = Query.of(accounts[0], end - 7 * 24 * HOUR, end, [("ResourceType", "vsm")])
    got = both(data, lambda store: [f.event_id for f in Scanner(store).iterate(query, batch_size=13)])
    assert len(got) == len({*got})


@pytest.mark.parametrize("action,params", [
    (search_command, {}), (search_command, {"Cmd": "rm"}), (search_command, {"Cmd": "审计"}),
    (search_command, {"UserName": "alice", "AuditAction": [2]}), (search_command, {"RealName": "wong"}),
    (search_command, {"DeviceName": "数据库"}), (search_command, {"Cmd": "*.log"}),
    (search_file, {}), (search_file, {"FileName": "报告"}), (search_file, {"Method": [1, 5], "InstanceId": "ins-db1"}),
    (search_file, {"PrivateIp": "10.0.0.2", "Offset": 3, "Limit": 5}),
])
def test_search_command_and_search_file(data, action, params):
    stores, accounts, events, end = data
    p = action.Input(StartTime=dt.datetime.fromtimestamp((end - 4 * 24 * HOUR) / 1000, dt.timezone.utc).isoformat(),
                     EndTime=dt.datetime.fromtimestamp(end / 1000, dt.timezone.utc).isoformat(), **params)
    kind = session_log.COMMAND if action is search_command else session_log.FILE
    start, stop = session_log.window(p.StartTime, p.EndTime)
    got = both(data, lambda store: session_log.search(store, kind, accounts[0], start, stop, action.clauses(p),
                                                     p.Offset, p.Limit))
    assert got[0] >= len(got[1]) and json.dumps(got[1])


def test_another_accounts_records_are_never_returned(data):
    stores, accounts, events, end = data
    for store in stores.values():
        hits = store.search(Search(family("traillog_server_log"), accounts[0], 0, end, size=1000)).hits
        assert {json.loads(h.source)["AccountId"] for h in hits} == {accounts[0]}
        for kind, records in session_log.FAMILIES.items():
            hits = store.search(Search(records, accounts[0], 0, end, size=1000)).hits
            assert hits and all(json.loads(h.source).get("UserName") in ("alice", "bob") for h in hits)
