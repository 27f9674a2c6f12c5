"""SearchSession over the sessions the SSH gateway records (layers/bastion/sessions.py): active
ones from the bastion table, finished ones through the session-log queue and the search store."""
import json

import pytest

from layers import aws
from layers.bastion import sessions
from layers.gateway import registry
from session_feed import deliver, feed, ms, without_nulls

T0 = "2024-03-01T10:00:00+08:00"
KIND = {"StartTime": T0, "Kind": 1}


def started(acct: dict, sid: str, minute: int, **over) -> dict:
    s = {"Sid": sid, "UserName": "alice", "RealName": "Alice Wong", "Account": "root", "FromIp": "203.0.113.7",
         "InstanceId": "ins-web1", "DeviceName": "web-server-1", "PublicIp": "198.51.100.1", "PrivateIp": "10.0.0.1",
         "ApCode": "ap-guangzhou", "Protocol": "SSH", "Kind": 1,
         "StartTime": ms(f"2024-03-01T10:{minute:02d}:00+08:00"), **over}
    sessions.start(acct["OwnerUin"], s)
    return s


def ended(acct: dict, s: dict, minutes: int = 5, status: int = 2, **over) -> None:
    end = {"end_ms": s["StartTime"] + minutes * 60_000, "status": status, "size": 4096, "count": 7,
           "danger_count": 1, "record_key": f"recordings/{s['Sid']}.cast", "record_sha256": "ab" * 32,
           "record_size": 4096, **over}
    sessions.finish(acct["OwnerUin"], s["Sid"], **end)


def sids(bh, **params) -> list:
    return [s["Id"] for s in bh.call("SearchSession", **{**KIND, **params})["SessionSet"]]


def test_a_session_is_active_then_ended(stack, bh):
    s = started(bh.acct, "sess-1", 1)
    live = bh.call("SearchSession", **KIND)
    assert live["TotalCount"] == 1
    one = without_nulls(live["SessionSet"][0])
    assert one["Status"] == 1 and "EndTime" not in one and one["Duration"] > 0
    assert sessions.recording(bh.acct["OwnerUin"], "sess-1") is None

    ended(bh.acct, s)           # ended at once, before the queue is read
    for when in ("queued", "indexed"):
        found = bh.call("SearchSession", **KIND)
        assert found["TotalCount"] == 1, when
        assert without_nulls(found["SessionSet"][0]) == {
            "UserName": "alice", "RealName": "Alice Wong", "Account": "root", "StartTime": "2024-03-01T10:01:00+08:00",
            "EndTime": "2024-03-01T10:06:00+08:00", "Size": 4096, "InstanceId": "ins-web1",
            "DeviceName": "web-server-1", "PrivateIp": "10.0.0.1", "PublicIp": "198.51.100.1",
            "FromIp": "203.0.113.7", "Duration": 300.0, "Count": 7, "DangerCount": 1, "Status": 2, "Id": "sess-1",
            "ApCode": "ap-guangzhou", "Protocol": "SSH"}, when
        deliver(stack)
    assert sessions.pending(bh.acct["OwnerUin"], "sess-1") is None      # the index stands for it now
    assert sessions.recording(bh.acct["OwnerUin"], "sess-1") == {
        "key": "recordings/sess-1.cast", "sha256": "ab" * 32, "size": 4096}


def test_finish_again_and_redelivery_index_once(stack, bh):
    s = started(bh.acct, "sess-r", 2)
    sqs = aws.client("sqs")
    url = stack.resources["BastionSessionLogQueue"]["QueueUrl"]
    ended(bh.acct, s)
    ended(bh.acct, s, minutes=9)            # a retried call: the first end stands
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    for m in got:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    bodies = [json.loads(m["Body"]) for m in got]
    assert len(bodies) == 2 and bodies[0] == bodies[1] and bodies[0]["EndTime"] == s["StartTime"] + 300_000
    assert bodies[0]["Type"] == "session" and bodies[0]["AccountId"] == bh.acct["OwnerUin"]
    feed(stack, *bodies, bodies[0])
    ended(bh.acct, s)                       # after indexing too
    deliver(stack)
    found = bh.call("SearchSession", **KIND)
    assert found["TotalCount"] == 1 and found["SessionSet"][0]["Duration"] == 300.0
    with pytest.raises(LookupError):
        sessions.finish(bh.acct["OwnerUin"], "no-such", end_ms=1, status=2, size=0, count=0, danger_count=0,
                        record_key="", record_sha256="", record_size=0)
    with pytest.raises(ValueError):
        ended(bh.acct, started(bh.acct, "sess-x", 3), status=1)


@pytest.fixture
def mixed(stack, bh):
    """Sessions of every shape: indexed, ended but not indexed yet, and active."""
    acct = bh.acct
    a = started(acct, "s-a", 1)
    b = started(acct, "s-b", 2, UserName="bob", RealName="Bob Li", Account="admin", FromIp="203.0.113.8",
                InstanceId="ins-db1", DeviceName="DB-Primary", PrivateIp="10.0.0.2", PublicIp="198.51.100.2")
    c = started(acct, "s-c", 3, Kind=2, Protocol="RDP")
    d = started(acct, "s-d", 4)
    started(acct, "s-e", 30, RealName="Eve")                        # stays active
    ended(acct, a)
    ended(acct, b, status=3)
    ended(acct, c, status=4)
    deliver(stack)
    ended(acct, d)                                                  # queued, not delivered
    started(acct, "s-f", 50, UserName="bob")                        # stays active
    return bh


def test_every_filter(mixed):
    bh = mixed
    assert sids(bh) == ["s-f", "s-e", "s-d", "s-b", "s-a"]          # Kind 1, newest first
    assert sids(bh, Kind=2) == ["s-c"] and sids(bh, Kind=3) == []
    assert sids(bh, Status=1) == ["s-f", "s-e"] and sids(bh, Status=2) == ["s-d", "s-a"]
    assert sids(bh, Status=3) == ["s-b"] and sids(bh, Kind=2, Status=4) == ["s-c"]
    assert sids(bh, UserName="bob") == ["s-f", "s-b"] and sids(bh, UserName="bo") == []
    assert sids(bh, RealName="B LI") == ["s-b"] and sids(bh, RealName="EVE") == ["s-e"]
    assert sids(bh, DeviceName="db-prim") == ["s-b"] and len(sids(bh, DeviceName="web")) == 4
    assert sids(bh, Account="admin") == ["s-b"] and len(sids(bh, Account="root")) == 4
    assert sids(bh, FromIp="203.0.113.8") == sids(bh, PrivateIp="10.0.0.2") == sids(bh, PublicIp="198.51.100.2") \
        == ["s-b"]
    assert sids(bh, StartTime="2024-03-01T10:02:00+08:00", EndTime="2024-03-01T10:30:00+08:00") == \
        ["s-e", "s-d", "s-b"]
    assert sids(bh, StartTime="2024-03-01T02:04:00Z") == ["s-f", "s-e", "s-d"]
    assert sids(bh, UserName="alice", Status=2, DeviceName="server") == ["s-d", "s-a"]


def test_id_alone_decides(mixed):
    bh = mixed
    for sid, status in (("s-a", 2), ("s-d", 2), ("s-e", 1), ("s-c", 4)):
        found = bh.call("SearchSession", Id=sid, UserName="nobody", Kind=3)      # the others are ignored
        assert found["TotalCount"] == 1 and found["SessionSet"][0]["Id"] == sid, sid
        assert found["SessionSet"][0]["Status"] == status
    assert bh.call("SearchSession", Id="s-zz")["TotalCount"] == 0


def test_paging_over_active_and_indexed_sessions(stack, bh):
    acct = bh.acct
    for i in range(24):
        s = started(acct, f"p-{i:02d}", i)
        if i % 3:
            ended(acct, s)
    deliver(stack)
    everything = sids(bh, Limit=200)
    assert everything == [f"p-{i:02d}" for i in reversed(range(24))]
    default = bh.call("SearchSession", **KIND)
    assert default["TotalCount"] == 24 and len(default["SessionSet"]) == 20
    for offset in (0, 1, 5, 7, 19, 23, 24, 30):
        for limit in (1, 4, 9):
            page = bh.call("SearchSession", **KIND, Offset=offset, Limit=limit)
            assert page["TotalCount"] == 24
            assert [s["Id"] for s in page["SessionSet"]] == everything[offset:offset + limit], (offset, limit)
    assert bh.call("SearchSession", **KIND, Status=1, Limit=3)["TotalCount"] == 8


def test_rules(bh):
    assert bh.error("SearchSession", Kind=1) == "MissingParameter"
    assert bh.error("SearchSession", StartTime=T0) == "MissingParameter"
    assert bh.error("SearchSession", **KIND, Limit=201) == "InvalidParameterValue"
    assert bh.error("SearchSession", **KIND, Offset=9990, Limit=20) == "InvalidParameterValue"
    assert bh.error("SearchSession", StartTime=T0, Kind=5) == "InvalidParameterValue"
    assert bh.error("SearchSession", **KIND, Status=0) == "InvalidParameterValue"
    assert bh.error("SearchSession", **KIND, UserName="u" * 21) == "InvalidParameterValue"
    assert bh.error("SearchSession", **KIND, RealName="r" * 21) == "InvalidParameterValue"
    assert bh.error("SearchSession", **KIND, Account="a" * 65) == "InvalidParameterValue"
    assert bh.error("SearchSession", **KIND, DeviceName="d" * 65) == "InvalidParameterValue"
    assert bh.error("SearchSession", **KIND, EndTime="2024-02-01T00:00:00+08:00") == "InvalidParameterValue"
    assert bh.error("SearchSession", StartTime="March", Kind=1) == "InvalidParameterValue"
    assert bh.raw_error("SearchSession", **KIND, Duration=1) == "UnknownParameter"
    with pytest.raises(ValueError):
        sessions.start(bh.acct["OwnerUin"], {"Sid": "x", "StartTime": "10:00"})
    with pytest.raises(ValueError):
        sessions.start(bh.acct["OwnerUin"], {"Sid": "", "StartTime": 1})


def test_accounts_see_only_their_own_sessions(stack, bh, other):
    for acct, name in ((bh.acct, "mine"), (other.acct, "theirs")):
        ended(acct, started(acct, f"{name}-1", 1))
        started(acct, f"{name}-2", 2)
        started(acct, "same-sid", 3, UserName=name)
        ended(acct, started(acct, "both-ended", 4, UserName=name))     # one Sid, one millisecond, two accounts
    ended(other.acct, {"Sid": "same-sid", "StartTime": ms("2024-03-01T10:03:00+08:00")})
    deliver(stack)
    assert sids(bh) == ["both-ended", "same-sid", "mine-2", "mine-1"]
    assert sids(other) == ["both-ended", "same-sid", "theirs-2", "theirs-1"]
    assert [s["UserName"] for s in bh.call("SearchSession", Id="both-ended")["SessionSet"]] == ["mine"]
    assert [s["UserName"] for s in other.call("SearchSession", Id="both-ended")["SessionSet"]] == ["theirs"]
    assert bh.call("SearchSession", Id="theirs-1")["TotalCount"] == 0
    mine = bh.call("SearchSession", Id="same-sid")["SessionSet"][0]
    assert mine["UserName"] == "mine" and mine["Status"] == 1
    assert sessions.recording(bh.acct["OwnerUin"], "theirs-1") is None
    assert sessions.recording(bh.acct["OwnerUin"], "same-sid") is None
    assert sessions.recording(other.acct["OwnerUin"], "same-sid")["key"] == "recordings/same-sid.cast"
    with pytest.raises(LookupError):
        ended(bh.acct, {"Sid": "theirs-2", "StartTime": 0})


def test_malformed_session_messages_are_dropped(stack, bh):
    good = {"Type": "session", "AccountId": bh.acct["OwnerUin"], "Sid": "ok", "UserName": "alice", "Kind": 1,
            "StartTime": ms(T0), "EndTime": ms(T0) + 1000, "Status": 2}
    feed(stack, good, {**good, "Sid": "active", "Status": 1}, {**good, "Sid": "no-end", "EndTime": None},
         {**good, "Sid": "bad-size", "Size": -1}, {**good, "Sid": ""}, {**good, "Sid": "no-account", "AccountId": ""},
         {**good, "Sid": "bad-kind", "Kind": 9}, {**good, "Sid": "bad-name", "UserName": 5})
    assert sids(bh) == ["ok"]


def test_the_session_actions_are_registered_read_only_and_ignore_the_region():
    specs = {s.name: s for s in registry.all_actions(registry.SERVICES["bhsaas"])}
    for name in ("SearchSession", "SearchSessionCommand", "SearchCommandBySid", "DescribeLoginEvent"):
        assert specs[name].region == "ignored" and specs[name].is_read_only, name
