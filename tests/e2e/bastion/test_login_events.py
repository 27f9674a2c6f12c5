"""DescribeLoginEvent over the logins the SSH gateway publishes (layers/bastion/login_events.py)."""
import json

import pytest

from layers import aws
from layers.bastion import login_events
from session_feed import deliver, feed, ms, without_nulls

T0 = "2024-03-01T10:00:00+08:00"


def login(acct: dict, minute: int, user: str = "alice", real: str = "Alice Wong", ip: str = "203.0.113.7",
          entry: int = 1, result: int = 1, reason: str = "") -> None:
    login_events.publish(acct["OwnerUin"], user_name=user, real_name=real, source_ip=ip, entry=entry, result=result,
                         reason=reason, time_ms=ms(f"2024-03-01T10:{minute:02d}:00+08:00"))


def who(bh, **params) -> list:
    return [(e["UserName"], e["Time"][14:16]) for e in bh.call("DescribeLoginEvent", **params)["LoginEventSet"]]


@pytest.fixture
def logins(stack, bh):
    login(bh.acct, 1)
    login(bh.acct, 2, result=2, reason="wrong password")
    login(bh.acct, 3, user="bob", real="Bob Li", ip="198.51.100.20")
    login(bh.acct, 4, user="carol", real="Alicia Keys", ip="10.1.2.3", entry=4, result=2, reason="key refused")
    deliver(stack)
    return bh


def test_all_fields_newest_first_without_the_reason(logins):
    found = logins.call("DescribeLoginEvent")
    assert found["TotalCount"] == 4
    assert [e["UserName"] for e in found["LoginEventSet"]] == ["carol", "bob", "alice", "alice"]
    assert without_nulls(found["LoginEventSet"][2]) == {
        "UserName": "alice", "RealName": "Alice Wong", "Time": "2024-03-01T10:02:00+08:00", "SourceIp": "203.0.113.7",
        "Entry": 1, "Result": 2}
    raw = logins.raw("DescribeLoginEvent")                  # nothing beyond the model, Reason included
    assert {k for e in raw["LoginEventSet"] for k in e} == \
        {"UserName", "RealName", "Time", "SourceIp", "Entry", "Result"}


def test_every_filter(logins):
    bh = logins
    # UserName alone: a substring of the user name or of the real name
    assert who(bh, UserName="ALI") == [("carol", "04"), ("alice", "02"), ("alice", "01")]
    assert who(bh, UserName="li") == [("carol", "04"), ("bob", "03"), ("alice", "02"), ("alice", "01")]
    # ... with any other condition: of the user name only
    assert who(bh, UserName="ali", Result=2) == [("alice", "02")]
    assert who(bh, UserName="li", RealName="a") == [("alice", "02"), ("alice", "01")]
    assert who(bh, RealName="wong") == [("alice", "02"), ("alice", "01")] and who(bh, RealName="Keys")[0][0] == "carol"
    assert who(bh, SourceIp="51.100") == [("bob", "03")] and who(bh, SourceIp="10.1.") == [("carol", "04")]
    assert who(bh, Entry=4) == [("carol", "04")] and len(who(bh, Entry=1)) == 3 and who(bh, Entry=2) == []
    assert who(bh, Result=1) == [("bob", "03"), ("alice", "01")]
    assert who(bh, StartTime="2024-03-01T10:02:00+08:00", EndTime="2024-03-01T10:03:00+08:00") == \
        [("bob", "03"), ("alice", "02")]
    assert who(bh, EndTime="2024-03-01T02:01:00Z") == [("alice", "01")]
    assert who(bh, StartTime="2024-03-01T10:04:00+08:00") == [("carol", "04")]


def test_paging_and_rules(stack, bh):
    for minute in range(25):
        login(bh.acct, minute, user=f"u{minute:02d}")
    deliver(stack)
    everything = who(bh, Limit=100)
    assert len(everything) == 25 and everything == sorted(everything, key=lambda x: x[1], reverse=True)
    default = bh.call("DescribeLoginEvent")
    assert default["TotalCount"] == 25 and len(default["LoginEventSet"]) == 20
    for offset, limit in ((0, 1), (3, 5), (20, 20), (24, 3), (25, 3)):
        page = bh.call("DescribeLoginEvent", Offset=offset, Limit=limit)
        assert page["TotalCount"] == 25 and who(bh, Offset=offset, Limit=limit) == everything[offset:offset + limit]
    assert bh.error("DescribeLoginEvent", Entry=5) == "InvalidParameterValue"
    assert bh.error("DescribeLoginEvent", Result=0) == "InvalidParameterValue"
    assert bh.error("DescribeLoginEvent", StartTime=T0, EndTime="2024-02-01T00:00:00+08:00") == "InvalidParameterValue"
    assert bh.error("DescribeLoginEvent", StartTime="yesterday") == "InvalidParameterValue"
    assert bh.error("DescribeLoginEvent", Offset=9999, Limit=2) == "InvalidParameterValue"
    assert bh.error("DescribeLoginEvent", Limit=-1) == "InvalidParameterValue"
    with pytest.raises(ValueError):
        login(bh.acct, 1, entry=5)
    with pytest.raises(ValueError):
        login(bh.acct, 1, result=3)


def test_accounts_see_only_their_own_logins(stack, bh, other):
    login(bh.acct, 1, user="mine")
    login(other.acct, 1, user="theirs")
    deliver(stack)
    assert who(bh) == [("mine", "01")] and who(other) == [("theirs", "01")]
    assert who(bh, UserName="theirs") == []


def test_redelivered_and_malformed_messages(stack, bh):
    sqs = aws.client("sqs")
    url = stack.resources["BastionSessionLogQueue"]["QueueUrl"]
    login(bh.acct, 5, result=2, reason="wrong password")
    got = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])
    message = json.loads(got["Body"])
    assert message == {"Type": "login", "EventId": message["EventId"], "AccountId": bh.acct["OwnerUin"],
                       "Time": ms("2024-03-01T10:05:00+08:00"), "UserName": "alice", "RealName": "Alice Wong",
                       "SourceIp": "203.0.113.7", "Entry": 1, "Result": 2, "Reason": "wrong password"}
    feed(stack, message, message, {**message, "EventId": "e2", "Entry": 9}, {**message, "EventId": "e3", "Time": "x"},
         {**message, "EventId": "e4", "UserName": 7}, {**message, "EventId": ""})
    deliver(stack)
    assert bh.call("DescribeLoginEvent")["TotalCount"] == 1
