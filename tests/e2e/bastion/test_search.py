"""SearchCommand and SearchFile over session events fed through the session-log queue."""
import base64
import json
import uuid

import pytest

from infra.pump import Pump
from layers import aws

T0 = "2024-03-01T10:00:00+08:00"


def event(acct: dict, kind: str, minute: int, **fields) -> dict:
    base = {"Type": kind, "EventId": uuid.uuid4().hex, "AccountId": acct["OwnerUin"],
            "Time": f"2024-03-01T10:{minute:02d}:00+08:00", "Sid": "sess-1", "UserName": "alice",
            "RealName": "Alice Wong", "Account": "root", "FromIp": "203.0.113.7", "InstanceId": "ins-web1",
            "DeviceName": "web-server-1", "PublicIp": "198.51.100.1", "PrivateIp": "10.0.0.1",
            "SessionTime": "2024-03-01T09:59:00+08:00", "Action": 1}
    return {**base, **fields}


def feed(stack, *messages) -> None:
    sqs = aws.client("sqs")
    url = stack.resources["BastionSessionLogQueue"]["QueueUrl"]
    for m in messages:
        sqs.send_message(QueueUrl=url, MessageBody=m if isinstance(m, str) else json.dumps(m))
    source = next(s for s in stack.app.event_sources if s.name == "bastion_session_log")
    pump = Pump(stack.app)
    while pump.deliver_once(source):
        pass


@pytest.fixture
def commands(stack, bh):
    acct = bh.acct
    feed(stack,
         event(acct, "command", 1, Cmd="ls -la", TimeOffset=60000),
         event(acct, "command", 2, Cmd="sudo RM -rf /tmp/x", Action=2, TimeOffset=120000),
         event(acct, "command", 3, Cmd="cat /etc/passwd", UserName="bob", RealName="Bob", InstanceId="ins-db1",
               DeviceName="db-1", PrivateIp="10.0.0.2", PublicIp=""),
         event(acct, "command", 30, Cmd="echo *star*", Sid="sess-2"))
    return bh


def cmds(bh, **f) -> list:
    return [c["Cmd"] for c in bh.call("SearchCommand", StartTime=T0, **f)["Commands"]]


def test_commands_newest_first_with_all_fields(commands):
    found = commands.call("SearchCommand", StartTime=T0, EndTime="2024-03-01T11:00:00+08:00")
    assert found["TotalCount"] == 4
    assert [c["Cmd"] for c in found["Commands"]] == ["echo *star*", "cat /etc/passwd", "sudo RM -rf /tmp/x", "ls -la"]
    last = {k: v for k, v in found["Commands"][-1].items() if v is not None}   # the model lists unset fields too
    assert last == {"Time": "2024-03-01T10:01:00+08:00", "UserName": "alice", "RealName": "Alice Wong",
                    "InstanceId": "ins-web1", "DeviceName": "web-server-1", "PublicIp": "198.51.100.1",
                    "PrivateIp": "10.0.0.1", "Cmd": "ls -la", "Action": 1, "Sid": "sess-1", "TimeOffset": 60000,
                    "Account": "root", "FromIp": "203.0.113.7", "SessionTime": "2024-03-01T09:59:00+08:00"}


def test_command_filters(commands):
    bh = commands
    assert cmds(bh, UserName="bob") == ["cat /etc/passwd"] and cmds(bh, UserName="bo") == []
    assert cmds(bh, RealName="alice") == ["echo *star*", "sudo RM -rf /tmp/x", "ls -la"]
    assert cmds(bh, Cmd="rm -RF") == ["sudo RM -rf /tmp/x"]                   # case-insensitive substring
    assert cmds(bh, Cmd="*") == ["echo *star*"]                               # wildcards are literal
    assert cmds(bh, Cmd=base64.b64encode(b"passwd").decode(), Encoding=1) == ["cat /etc/passwd"]
    assert cmds(bh, AuditAction=[2]) == ["sudo RM -rf /tmp/x"] and len(cmds(bh, AuditAction=[1, 2])) == 4
    assert cmds(bh, InstanceId="ins-db1") == cmds(bh, PrivateIp="10.0.0.2") == ["cat /etc/passwd"]
    assert cmds(bh, DeviceName="WEB-server") == ["echo *star*", "sudo RM -rf /tmp/x", "ls -la"]
    assert cmds(bh, PublicIp="198.51.100.1", Cmd="ls") == ["ls -la"]
    assert cmds(bh, EndTime="2024-03-01T10:02:00+08:00") == ["sudo RM -rf /tmp/x", "ls -la"]
    assert [c["Cmd"] for c in bh.call("SearchCommand", StartTime="2024-03-01T02:03:00Z")["Commands"]] == \
        ["echo *star*", "cat /etc/passwd"]


def test_command_paging_and_rules(commands):
    bh = commands
    page = bh.call("SearchCommand", StartTime=T0, Limit=2, Offset=1)
    assert page["TotalCount"] == 4 and [c["Cmd"] for c in page["Commands"]] == ["cat /etc/passwd", "sudo RM -rf /tmp/x"]
    assert bh.error("SearchCommand", StartTime=T0, Limit=201) == "InvalidParameterValue"
    assert bh.error("SearchCommand", StartTime=T0, Offset=9990, Limit=20) == "InvalidParameterValue"
    assert bh.error("SearchCommand", StartTime=T0, EndTime="2024-02-01T00:00:00+08:00") == "InvalidParameterValue"
    assert bh.error("SearchCommand", StartTime="March") == "InvalidParameterValue"
    assert bh.error("SearchCommand", Cmd="ls") == "MissingParameter"
    assert bh.error("SearchCommand", StartTime=T0, AuditAction=[3]) == "InvalidParameterValue"
    assert bh.error("SearchCommand", StartTime=T0, Cmd="%%", Encoding=1) == "InvalidParameterValue"


def test_files(stack, bh):
    acct = bh.acct
    feed(stack,
         event(acct, "file", 1, Method=1, FileNew="/home/alice/report.pdf", Size=1024, Protocol="SFTP"),
         event(acct, "file", 2, Method=2, FileCurr="/etc/shadow", Action=2, Protocol="SFTP"),
         event(acct, "file", 3, Method=5, FileCurr="/srv/a.txt", FileNew="/srv/b.txt", UserName="bob"))
    files = lambda **f: [(x["Method"], x["FileCurr"] or "", x["FileNew"] or "")  # noqa: E731
                         for x in bh.call("SearchFile", StartTime=T0, **f)["Files"]]
    assert files() == [(5, "/srv/a.txt", "/srv/b.txt"), (2, "/etc/shadow", ""), (1, "", "/home/alice/report.pdf")]
    assert files(Method=[1, 2]) == [(2, "/etc/shadow", ""), (1, "", "/home/alice/report.pdf")]
    assert files(FileName="REPORT") == [(1, "", "/home/alice/report.pdf")]
    assert files(FileName="b.txt") == files(FileName="a.txt") == [(5, "/srv/a.txt", "/srv/b.txt")]
    assert files(AuditAction=[2]) == [(2, "/etc/shadow", "")] and files(UserName="bob")[0][0] == 5
    first = bh.call("SearchFile", StartTime=T0, Limit=1, Offset=2)
    assert first["TotalCount"] == 3 and first["Files"][0]["Time"] == "2024-03-01T10:01:00+08:00"
    assert first["Files"][0]["Action"] == 1 and first["Files"][0]["UserName"] == "alice"
    assert bh.error("SearchFile", StartTime=T0, Method=[10]) == "InvalidParameterValue"
    assert bh.error("SearchFile", StartTime=T0, Limit=500) == "InvalidParameterValue"


def test_accounts_see_only_their_own_sessions(stack, bh, other):
    feed(stack, event(bh.acct, "command", 5, Cmd="whoami"), event(other.acct, "command", 5, Cmd="id"))
    assert cmds(bh) == ["whoami"] and cmds(other) == ["id"]


def test_redelivered_and_malformed_messages(stack, bh):
    same = event(bh.acct, "command", 6, Cmd="uptime")
    feed(stack, same, same, "not json", {"Type": "command", "AccountId": bh.acct["OwnerUin"]},
         {**event(bh.acct, "command", 7, Cmd="x"), "Action": "one"},
         {**event(bh.acct, "shell", 8, Cmd="y")})
    assert cmds(bh) == ["uptime"]


def test_a_batch_message_is_taken_as_its_events(stack, bh):
    """A "batch" message (the MySQL proxy packs a session's statements) indexes each of its
    events; a malformed one among them is dropped alone."""
    acct = bh.acct
    feed(stack, {"Type": "batch", "Events": [
        event(acct, "command", 40, Cmd="SELECT 1 -- batched a", Sid="sess-b"),
        {"Type": "command", "Cmd": "no EventId nor AccountId"},
        event(acct, "command", 41, Cmd="SELECT 2 -- batched b", Sid="sess-b", AffectedRows=0, Rows=1)]},
        {"Type": "batch", "Events": "not a list"})
    found = bh.call("SearchCommandBySid", Sid="sess-b", Limit=10)["CommandSet"]
    assert sorted(c["Cmd"] for c in found) == ["SELECT 1 -- batched a", "SELECT 2 -- batched b"]
