"""DescribeOperationEvent and SearchAuditLog through the typed DasbClient (and tccli): the
bastion's calls, from the audit trail the CloudAudit lookups read."""
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bastion_helpers import Bastion
from layers import identity
from layers.bastion import sessions

TCCLI = str(Path(sys.executable).parent / "tccli")


@pytest.fixture
def index(stack):
    """Index what is on the audit queue now (the local stack's pump does this continuously)."""
    from infra.pump import Pump
    source = next(s for s in stack.app.event_sources if s.name == "audit_indexer")
    pump = Pump(stack.app)

    def run() -> None:
        while pump.deliver_once(source):
            pass
    return run


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


@pytest.fixture
def sub(stack, bh):
    """A CAM user of bh's account allowed the bastion, with a client of its own."""
    user = identity.create_user(bh.acct["OwnerUin"], "amy-auditor", policy=["dasb:*"])
    return user, Bastion(stack.endpoint, {**bh.acct, **identity.create_key(user["Uin"])})


def test_operation_events(stack, bh, other, sub, index, tmp_path):
    user, amy = sub
    start = datetime.now(timezone.utc) - timedelta(seconds=2)
    bh.user("opsalice")
    assert bh.error("CreateUser", UserName="opsalice", RealName="Dup", Phone="13800000000") == \
        "FailedOperation.DuplicateData"
    bh.call("DescribeUsers")                                                         # a read: not logged
    assert bh.raw_error("ModifyResource", ResourceId="bh-saas-nothere0", AutoRenewFlag=1) == "ResourceNotFound"
    amy.call("CreateCmdTemplate", Name="no-rm", CmdList="rm -rf *")
    other.user("someoneelse")
    index()
    log = bh.call("DescribeOperationEvent", StartTime=_iso(start))
    assert log["TotalCount"] == 4
    kinds = [(e["Kind"], e["Result"]) for e in log["OperationEventSet"]]
    assert kinds == [(7, 1), (8, 2), (1, 2), (1, 1)]                                  # newest first
    newest, oldest = log["OperationEventSet"][0], log["OperationEventSet"][-1]
    assert (newest["UserName"], newest["RealName"]) == (user["Uin"], "amy-auditor")
    assert (oldest["UserName"], oldest["RealName"]) == (bh.acct["OwnerUin"], "root")
    assert "CreateUser" in oldest["Operation"] and "opsalice" in oldest["Operation"]
    assert oldest["SourceIp"] and oldest["Time"].endswith("+08:00") and oldest["SignValue"] == ""

    def total(**params):
        return bh.call("DescribeOperationEvent", StartTime=_iso(start), **params)["TotalCount"]
    assert total(Kind=1) == 2 and total(Kind=1, Result=1) == 1 and total(Result=2) == 2 and total(Kind=0) == 0
    assert total(RealName="AMY") == 1 and total(UserName="amy") == 1                 # the name, without RealName
    assert total(UserName=user["Uin"][3:], Kind=7) == 1 and total(UserName=bh.acct["OwnerUin"]) == 3
    assert total(SourceIp=oldest["SourceIp"]) == 4 and total(SourceIp="203.0.113.") == 0
    page = bh.call("DescribeOperationEvent", StartTime=_iso(start), Offset=1, Limit=2)
    assert page["TotalCount"] == 4 and [e["Kind"] for e in page["OperationEventSet"]] == [8, 1]
    page = bh.call("DescribeOperationEvent", StartTime=_iso(start), Result=2, Offset=1, Limit=1)
    assert page["TotalCount"] == 2 and page["OperationEventSet"][0]["Kind"] == 1
    assert bh.call("DescribeOperationEvent", StartTime=_iso(start - timedelta(hours=1)),
                   EndTime=_iso(start - timedelta(seconds=1)))["TotalCount"] == 0
    assert bh.error("DescribeOperationEvent", StartTime=_iso(start), EndTime=_iso(start - timedelta(days=1))) == \
        "InvalidParameterValue"
    assert bh.error("DescribeOperationEvent", Kind=42) == "InvalidParameterValue"
    assert bh.error("DescribeOperationEvent", Result=3) == "InvalidParameterValue"
    theirs = other.call("DescribeOperationEvent")                                   # only its own
    assert theirs["TotalCount"] == 1 and "someoneelse" in theirs["OperationEventSet"][0]["Operation"]

    # tccli, unchanged
    ran = subprocess.run([TCCLI, "dasb", "DescribeOperationEvent", "--Kind", "7", "--StartTime", _iso(start),
                          "--region", "ap-guangzhou", "--endpoint", f"http://{stack.endpoint}",
                          "--secretId", bh.acct["SecretId"], "--secretKey", bh.acct["SecretKey"]],
                         env={**os.environ, "HOME": str(tmp_path)}, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr + ran.stdout
    body = json.loads(ran.stdout)
    assert body["TotalCount"] == 1 and body["OperationEventSet"][0]["UserName"] == user["Uin"]


def test_audit_log_records_looks_into_sessions(bh, other, sub, index):
    _, amy = sub
    start = datetime.now(timezone.utc) - timedelta(seconds=2)
    sessions.start(bh.acct["OwnerUin"], {"Sid": "sess-audited", "UserName": "alice", "Account": "root",
                                         "FromIp": "203.0.113.7", "InstanceId": "ins-web1", "DeviceName": "web-1",
                                         "PublicIp": "198.51.100.1", "PrivateIp": "10.0.0.1", "Protocol": "SSH",
                                         "Kind": 1, "StartTime": int(time.time() * 1000) - 60_000})
    bh.call("SearchCommandBySid", Sid="sess-audited")
    amy.call("SearchFileBySid", Sid="sess-audited")
    assert bh.error("SearchCommandBySid", Sid="sess-audited", Limit=500) == "InvalidParameterValue"   # failed: not a look
    bh.call("SearchSession", StartTime=_iso(start - timedelta(days=1)), Kind=1)       # not one session's record
    other.call("SearchCommandBySid", Sid="sess-audited")                              # another account's look
    index()
    log = bh.call("SearchAuditLog", StartTime=_iso(start))
    assert log["TotalCount"] == 2
    newest, oldest = log["AuditLogSet"]
    assert newest["SubAccountUin"] != bh.acct["OwnerUin"] and newest["Uin"] == bh.acct["OwnerUin"]
    assert oldest["SubAccountUin"] == oldest["Uin"] == bh.acct["OwnerUin"]
    assert {k: oldest[k] for k in ("Sid", "Operation", "InstanceId", "DeviceName", "Protocol", "PrivateIp",
                                   "PublicIp")} == {"Sid": "sess-audited", "Operation": 1, "InstanceId": "ins-web1",
                                                    "DeviceName": "web-1", "Protocol": "SSH",
                                                    "PrivateIp": "10.0.0.1", "PublicIp": "198.51.100.1"}
    assert oldest["ClientIp"] and oldest["Time"] <= newest["Time"]
    page = bh.call("SearchAuditLog", StartTime=_iso(start), Offset=1, Limit=1)
    assert page["TotalCount"] == 2 and page["AuditLogSet"][0]["SubAccountUin"] == bh.acct["OwnerUin"]
    theirs = other.call("SearchAuditLog", StartTime=_iso(start))
    assert theirs["TotalCount"] == 1 and theirs["AuditLogSet"][0]["InstanceId"] == ""   # not their session
    assert bh.error("SearchAuditLog", StartTime=_iso(start - timedelta(days=181))) == "InvalidParameterValue"
    assert bh.error("SearchAuditLog", StartTime=_iso(start), Limit=201) == "InvalidParameterValue"
    assert bh.error("SearchAuditLog") == "MissingParameter"
