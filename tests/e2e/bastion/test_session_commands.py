"""SearchCommandBySid and SearchSessionCommand over the session-log's commands and the sessions
they belong to (indexed, ended but not indexed yet, and active)."""
import base64
import time
import uuid

import pytest

from layers.bastion import sessions
from session_feed import deliver, feed, iso, without_nulls

MIN = 60_000
B = (int(time.time()) - 7200) * 1000        # two hours ago, on a second
SINCE = iso(B - 3600_000)
WEB = {"UserName": "alice", "RealName": "Alice Wong", "Account": "root", "FromIp": "203.0.113.7",
       "InstanceId": "ins-web1", "DeviceName": "web-server-1", "PublicIp": "198.51.100.1", "PrivateIp": "10.0.0.1",
       "ApCode": "ap-guangzhou"}
DB = {**WEB, "UserName": "bob", "RealName": "Bob Li", "InstanceId": "ins-db1", "DeviceName": "db-1",
      "PublicIp": "198.51.100.2", "PrivateIp": "10.0.0.2", "ApCode": "ap-shanghai"}


def session(acct: dict, sid: str, start: int, fields: dict) -> dict:
    s = {"Sid": sid, "Kind": 1, "Protocol": "SSH", "StartTime": start, **fields}
    sessions.start(acct["OwnerUin"], s)
    return s


def finish(acct: dict, s: dict, minutes: int) -> None:
    sessions.finish(acct["OwnerUin"], s["Sid"], end_ms=s["StartTime"] + minutes * MIN, status=2, size=4096,
                    count=4, danger_count=1, record_key="k", record_sha256="0" * 64, record_size=4096)


def cmd(acct: dict, s: dict, minute: int, text: str, action: int = 1) -> dict:
    fields = {k: v for k, v in s.items() if k in ("Sid", "UserName", "RealName", "Account", "FromIp", "InstanceId",
                                                    "DeviceName", "PublicIp", "PrivateIp")}
    return {"Type": "command", "EventId": uuid.uuid4().hex, "AccountId": acct["OwnerUin"],
            "Time": s["StartTime"] + minute * MIN, **fields, "SessionTime": iso(s["StartTime"]), "Cmd": text,
            "Action": action, "TimeOffset": minute * MIN}


@pytest.fixture
def cmds(stack, bh, other):
    acct = bh.acct
    s1 = session(acct, "s1", B, WEB)
    s2 = session(acct, "s2", B + 20 * MIN, DB)
    s3 = session(acct, "s3", B + 30 * MIN, WEB)
    theirs = session(other.acct, "s1", B, WEB)
    feed(stack, cmd(acct, s1, 1, "ls -la"), cmd(acct, s1, 2, "sudo RM -rf /tmp/x", 2),
         cmd(acct, s1, 3, "cat /etc/passwd", 3), cmd(acct, s1, 4, "ls /srv"), cmd(acct, s2, 1, "ls"),
         cmd(acct, s2, 2, "vim /etc/hosts"), cmd(acct, s3, 1, "echo hi"), cmd(other.acct, theirs, 1, "ls -la"))
    finish(acct, s1, 10)
    finish(other.acct, theirs, 10)
    deliver(stack)
    finish(acct, s3, 5)                     # ended, not indexed yet; s2 stays active
    return bh


def by_sid(bh, sid: str, **params) -> list:
    return [c["Cmd"] for c in bh.call("SearchCommandBySid", Sid=sid, **params)["CommandSet"]]


def test_commands_of_a_session(cmds):
    bh = cmds
    found = bh.call("SearchCommandBySid", Sid="s1")
    assert found["TotalCount"] == 4
    assert [c["Cmd"] for c in found["CommandSet"]] == ["ls /srv", "cat /etc/passwd", "sudo RM -rf /tmp/x", "ls -la"]
    assert without_nulls(found["CommandSet"][-1]) == {
        "Cmd": "ls -la", "Time": iso(B + MIN), "TimeOffset": MIN, "Action": 1, "Sid": "s1", "UserName": "alice",
        "Account": "root", "InstanceId": "ins-web1", "FromIp": "203.0.113.7", "SessionTime": iso(B),
        "SessTime": iso(B), "Size": 4096}
    active = bh.call("SearchCommandBySid", Sid="s2")["CommandSet"]
    assert [c["Cmd"] for c in active] == ["vim /etc/hosts", "ls"] and active[0]["Size"] is None   # still running
    assert by_sid(bh, "s3") == ["echo hi"] and by_sid(bh, "nope") == []


def test_command_filters_and_paging(cmds):
    bh = cmds
    assert by_sid(bh, "s1", Cmd="LS") == ["ls /srv", "ls -la"]
    assert by_sid(bh, "s1", Cmd=base64.b64encode(b"rm -rf").decode(), Encoding=1) == ["sudo RM -rf /tmp/x"]
    assert by_sid(bh, "s1", AuditAction=[2]) == ["sudo RM -rf /tmp/x"] and by_sid(bh, "s1", AuditAction=[3]) == \
        ["cat /etc/passwd"]
    assert by_sid(bh, "s1", AuditAction=[1, 3], Cmd="ls") == ["ls /srv", "ls -la"]
    page = bh.call("SearchCommandBySid", Sid="s1", Offset=1, Limit=2)
    assert page["TotalCount"] == 4
    assert [c["Cmd"] for c in page["CommandSet"]] == ["cat /etc/passwd", "sudo RM -rf /tmp/x"]
    assert by_sid(bh, "s1", Offset=4) == [] and by_sid(bh, "s1", Limit=0) == []
    assert bh.error("SearchCommandBySid", Cmd="ls") == "MissingParameter"
    assert bh.error("SearchCommandBySid", Sid="") == "InvalidParameterValue"
    assert bh.error("SearchCommandBySid", Sid="s1", Limit=201) == "InvalidParameterValue"
    assert bh.error("SearchCommandBySid", Sid="s1", Offset=9999, Limit=2) == "InvalidParameterValue"
    assert bh.error("SearchCommandBySid", Sid="s1", AuditAction=[4]) == "InvalidParameterValue"
    assert bh.error("SearchCommandBySid", Sid="s1", Encoding=2) == "InvalidParameterValue"
    assert bh.error("SearchCommandBySid", Sid="s1", Cmd="%%", Encoding=1) == "InvalidParameterValue"


def session_commands(bh, **params) -> list:
    found = bh.call("SearchSessionCommand", **{"StartTime": SINCE, **params})
    return [(s["Id"], [c["Cmd"] for c in s["Commands"]], s["Count"]) for s in found["CommandSessionSet"]]


def test_sessions_that_ran_a_command(cmds):
    bh = cmds
    found = bh.call("SearchSessionCommand", Cmd="ls", StartTime=SINCE)
    assert found["TotalCount"] == 2
    active, indexed = (without_nulls(s) for s in found["CommandSessionSet"])     # newest session first
    assert {k: v for k, v in indexed.items() if k != "Commands"} == {
        "StartTime": iso(B), "EndTime": iso(B + 10 * MIN), "UserName": "alice", "RealName": "Alice Wong",
        "DeviceName": "web-server-1", "PrivateIp": "10.0.0.1", "PublicIp": "198.51.100.1", "Count": 2, "Id": "s1",
        "InstanceId": "ins-web1", "ApCode": "ap-guangzhou"}
    assert [c["Cmd"] for c in indexed["Commands"]] == ["ls /srv", "ls -la"] and indexed["Commands"][0]["Size"] == 4096
    assert {k: v for k, v in active.items() if k != "Commands"} == {
        "StartTime": iso(B + 20 * MIN), "UserName": "bob", "RealName": "Bob Li", "DeviceName": "db-1",
        "PrivateIp": "10.0.0.2", "PublicIp": "198.51.100.2", "Count": 1, "Id": "s2", "InstanceId": "ins-db1",
        "ApCode": "ap-shanghai"}
    assert session_commands(bh, Cmd="ECHO") == [("s3", ["echo hi"], 1)]
    assert bh.call("SearchSessionCommand", Cmd="echo", StartTime=SINCE)["CommandSessionSet"][0]["EndTime"] == \
        iso(B + 35 * MIN)
    assert session_commands(bh, Cmd="/etc/") == [("s2", ["vim /etc/hosts"], 1), ("s1", ["cat /etc/passwd"], 1)]
    assert session_commands(bh, Cmd=base64.b64encode(b"vim").decode(), Encoding=1) == [("s2", ["vim /etc/hosts"], 1)]
    assert session_commands(bh, Cmd="nothing") == []


def test_session_command_window_paging_and_rules(cmds):
    bh = cmds
    assert session_commands(bh, Cmd="ls", EndTime=iso(B + 2 * MIN)) == [("s1", ["ls -la"], 1)]
    assert session_commands(bh, Cmd="ls", StartTime=iso(B + 3 * MIN)) == [("s2", ["ls"], 1), ("s1", ["ls /srv"], 1)]
    page = bh.call("SearchSessionCommand", Cmd="s", StartTime=SINCE, Offset=1, Limit=1)
    assert page["TotalCount"] == 2 and [s["Id"] for s in page["CommandSessionSet"]] == ["s1"]
    assert bh.call("SearchSessionCommand", Cmd="s", StartTime=SINCE, Offset=2)["CommandSessionSet"] == []
    assert bh.error("SearchSessionCommand", StartTime=SINCE) == "MissingParameter"
    assert bh.error("SearchSessionCommand", Cmd="ls") == "MissingParameter"
    assert bh.error("SearchSessionCommand", Cmd="ls", StartTime=iso(B - 181 * 86_400_000)) == "InvalidParameterValue"
    assert bh.error("SearchSessionCommand", Cmd="ls", StartTime=SINCE, EndTime=iso(B - 7200_000)) == \
        "InvalidParameterValue"
    assert bh.error("SearchSessionCommand", Cmd="ls", StartTime=SINCE, Limit=201) == "InvalidParameterValue"
    assert bh.error("SearchSessionCommand", Cmd="%%", StartTime=SINCE, Encoding=1) == "InvalidParameterValue"


def test_accounts_see_only_their_own_commands(cmds, other):
    assert by_sid(other, "s1") == ["ls -la"] and len(by_sid(cmds, "s1")) == 4
    assert session_commands(other, Cmd="ls") == [("s1", ["ls -la"], 1)]
    assert by_sid(other, "s2") == [] and session_commands(other, Cmd="vim") == []
