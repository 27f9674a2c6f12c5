"""LookupEvents (2019-03-04) and LookUpEvents (2019-03-19) with the official SDK and tccli: calls
to other actions become events that are found by every attribute key and by keyword, 1,000
events page exactly once in order, and no other account sees any of it."""
import json
import subprocess
import time
from pathlib import Path

import pytest

from ca_support import make_event
from ca_accounts import new_account
from helpers import credential_of, error_code, profile
from layers import identity
from infra.pump import LambdaContext, sqs_event

ROOT = Path(__file__).resolve().parents[3]
AUDIT_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:guardzone-audit"


def _now() -> int:
    return int(time.time() * 1000)


def _lookup(client, start, end, **params):
    return client.call_json("LookupEvents", {"StartTime": start, "EndTime": end, **params})["Response"]


def _by(client, start, end, key, value, **params):
    attrs = [{"AttributeKey": key, "AttributeValue": value}]
    return _lookup(client, start, end, LookupAttributes=attrs, MaxResults=50, **params)["Events"]


@pytest.fixture(scope="module")
def history(stack):
    """Calls to other actions by an account's root user and a restricted sub-user, indexed."""
    from infra.pump import Pump
    from helpers import common_client
    acct = new_account()
    sub = identity.create_user(acct["OwnerUin"], "auditor", policy=["cloudhsm:DescribeRegions"])
    sub_key = {**acct, **identity.create_key(sub["Uin"])}
    start = _now() - 1000
    hsm = common_client(stack.endpoint, acct, "cloudhsm", "2019-11-12")
    calls = {}
    calls["read"] = hsm.call_json("DescribeRegions", {})["Response"]["RequestId"]
    calls["unknown_param"] = _request_id(hsm, "DescribeRegions", {"Colour": "blue"})
    calls["tagged"] = _request_id(hsm, "CreateResource", {
        "PayMode": 0, "GoodsNum": 1, "VsmType": 0, "VpcId": "vpc-none", "SubnetId": "subnet-none",
        "ZoneId": 0, "Tags": [{"TagKey": "team", "TagValue": "支付组"}]})
    denied = common_client(stack.endpoint, sub_key, "cloudhsm", "2019-11-12")
    calls["denied"] = _request_id(denied, "TerminateVsm", {"ResourceId": "vsm-00000000"})
    audit = common_client(stack.endpoint, acct, "cloudaudit", "2019-03-04")
    bucket = f"e2e-{acct['OwnerUin']}"
    export = audit.call_json("CreateExportTask", {"StartTime": start, "EndTime": start + 1,
                                                  "CosBucket": bucket, "IsCreateNewBucket": True})["Response"]
    calls["export"] = export["RequestId"]
    source = next(s for s in stack.app.event_sources if s.name == "audit_indexer")
    pump = Pump(stack.app)
    while pump.deliver_once(source):
        pass
    client = common_client(stack.endpoint, acct, "cloudaudit", "2019-03-04")
    end = _now() + 1000
    events = {}
    for name, request_id in calls.items():
        found = _by(client, start, end, "RequestId", request_id)
        assert len(found) == 1, name
        events[name] = found[0]
    return dict(acct=acct, sub=sub, sub_key=sub_key, client=client, start=start, end=end, events=events,
                export_id=export["Id"])


def _request_id(client, action, params):
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    try:
        return client.call_json(action, params)["Response"]["RequestId"]
    except TencentCloudSDKException as exc:
        return exc.requestId


def test_events_carry_what_the_calls_did(history):
    ev, acct, sub = history["events"], history["acct"], history["sub"]
    read = ev["read"]
    assert read["EventName"] == "DescribeRegions" and read["EventNameCn"] == "获取地域列表"
    assert read["EventSource"] == "cloudhsm.tencentcloudapi.com" and read["ReadWriteDetail"] == "Read"
    assert read["AccountId"] == int(acct["OwnerUin"]) and read["SecretId"] == acct["SecretId"]
    assert read["ErrorCode"] == 0 and read["ApiErrorCode"] == "" and read["SourceIPAddress"] == "127.0.0.1"
    assert ev["unknown_param"]["ApiErrorCode"] == "UnknownParameter" and ev["unknown_param"]["ErrorCode"] == 1
    denied = ev["denied"]
    assert denied["ApiErrorCode"] == "AuthFailure.UnauthorizedOperation" and denied["Username"] == sub["Uin"]
    assert ev["export"]["Resources"]["ResourceName"] == history["export_id"]
    detail = json.loads(ev["tagged"]["CloudAuditEvent"])           # the console's "查看事件"
    assert detail["requestParameters"]["Tags"] == [{"TagKey": "team", "TagValue": "支付组"}]
    assert detail["eventID"] == ev["tagged"]["EventId"] and detail["userIdentity"]["accountId"] == acct["OwnerUin"]
    for item in ev.values():
        assert set(item) >= {"CloudAuditEvent", "EventId", "EventName", "EventTime", "SecretId", "ErrorCode",
                             "RequestId", "AccountId", "SourceIPAddress", "EventSource", "EventRegion", "Username",
                             "Resources", "ApiErrorCode", "ApiErrorMessage", "Project", "ResourceTypeCn",
                             "ResourceRegion", "EventNameCn", "ReadWriteDetail"}


def test_every_call_is_found_by_every_attribute_key(history):
    ev, c, s, e = history["events"], history["client"], history["start"], history["end"]
    sub_key, acct = history["sub_key"], history["acct"]

    def ids(key, value):
        return {x["EventId"] for x in _by(c, s, e, key, value)}

    for name, item in ev.items():
        own = item["EventId"]
        assert own in ids("RequestId", item["RequestId"]), name
        assert own in ids("EventId", own), name
        assert own in ids("EventName", item["EventName"]), name
        assert own in ids("EventSource", item["EventSource"]), name
        assert own in ids("Username", item["Username"]), name
        assert own in ids("PrincipalId", item["Username"]), name
        assert own in ids("AccessKeyId", item["SecretId"]), name
        assert own in ids("SourceIPAddress", "127.0.0.1"), name
        assert own in ids("ActionType", item["ReadWriteDetail"]), name
        assert own in ids("ReadOnly", "true" if item["ReadWriteDetail"] == "Read" else "false"), name
        if item["ApiErrorCode"]:
            assert own in ids("ApiErrorCode", item["ApiErrorCode"]), name
        assert own in {x["EventId"] for x in _lookup(c, s, e, ContentValue=item["RequestId"], MaxResults=50)["Events"]}
    assert ids("ResourceType", "export") == ids("ResourceName", history["export_id"]) \
        == ids("ResourceId", history["export_id"]) == {ev["export"]["EventId"]}
    assert ids("Tags", json.dumps([{"key": "team", "value": "支付组"}])) == {ev["tagged"]["EventId"]}
    assert ids("CamErrorCode", "AuthFailure.UnauthorizedOperation") == {ev["denied"]["EventId"]}
    assert ids("SensitiveAction", "true") == {ev["denied"]["EventId"]}
    assert ids("AccessKeyId", sub_key["SecretId"]) == {ev["denied"]["EventId"]}
    assert ev["denied"]["EventId"] not in ids("PrincipalId", acct["OwnerUin"])
    by_keyword = {x["EventId"] for x in _lookup(c, s, e, ContentValue="支付组", MaxResults=50)["Events"]}
    assert by_keyword == {ev["tagged"]["EventId"]}
    two_names = [{"AttributeKey": "EventName", "AttributeValue": n} for n in ("TerminateVsm", "CreateExportTask")]
    both = _lookup(c, s, e, LookupAttributes=two_names, MaxResults=50)["Events"]
    assert {x["EventId"] for x in both} == {ev["denied"]["EventId"], ev["export"]["EventId"]}
    narrowed = two_names[:1] + [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}]
    assert [x["EventId"] for x in _lookup(c, s, e, LookupAttributes=narrowed)["Events"]] == [ev["denied"]["EventId"]]


def test_another_account_sees_none_of_it(history, client_for):
    stranger = new_account()
    other = client_for(stranger)
    s, e = history["start"], history["end"]
    assert _lookup(other, s, e, MaxResults=50)["Events"] == []
    for item in history["events"].values():
        assert _by(other, s, e, "RequestId", item["RequestId"]) == []
        assert _lookup(other, s, e, ContentValue=item["EventId"])["Events"] == []
    typed = client_for(stranger, version="2019-03-19")
    assert typed.call_json("LookUpEvents", {"StartTime": s // 1000, "EndTime": e // 1000 + 1})["Response"]["Events"] == []
    assert error_code(other.call_json, "LookupEvents", {"StartTime": s, "EndTime": e,
                                                        "OwnerUin": history["acct"]["OwnerUin"]}) \
        == "UnauthorizedOperation"


def test_an_operator_credential_reads_another_account_with_owner_uin(history, client_for):
    operator = client_for(new_account(operator=True))
    got = _lookup(operator, history["start"], history["end"], OwnerUin=history["acct"]["OwnerUin"], MaxResults=50)
    assert {x["EventId"] for x in history["events"].values()} <= {x["EventId"] for x in got["Events"]}


def test_a_thousand_events_page_exactly_once_in_order_while_events_arrive(stack, client_for, index_audit_queue):
    acct = new_account()
    end = _now()
    events = [make_event(acct["OwnerUin"], end - 1 - i * 97) for i in range(1000)]     # about 97 s of history
    indexer = stack.app.handler_map["audit_indexer"]
    for i in range(0, 1000, 100):           # the indexer's batches, as Lambda hands them over
        batch = [{"MessageId": f"m-{i + j}", "ReceiptHandle": f"h-{i + j}", "Body": json.dumps(e)}
                 for j, e in enumerate(events[i:i + 100])]
        assert indexer(sqs_event(AUDIT_QUEUE_ARN, batch), LambdaContext("audit_indexer")) == {"indexed": 100}
    index_audit_queue()
    client = client_for(acct)
    seen, token = [], None
    while True:
        params = {"MaxResults": 50, **({"NextToken": token} if token else {})}
        page = _lookup(client, end - 200_000, end, **params)
        seen.extend(page["Events"])
        index_audit_queue()                 # this very call's own event arrives meanwhile
        if page["ListOver"]:
            break
        token = page["NextToken"]
    got = [x["EventId"] for x in seen]
    assert len(got) == len(set(got)) == 1000
    assert got == [e["EventId"] for e in events]                 # newest first, each once
    # The public version pages the same way with the typed SDK client.
    from tencentcloud.cloudaudit.v20190319 import cloudaudit_client, models
    typed = cloudaudit_client.CloudauditClient(credential_of(acct), "ap-guangzhou", profile(stack.endpoint))
    seen, token = [], None
    while True:
        req = models.LookUpEventsRequest()
        req.from_json_string(json.dumps({"StartTime": (end - 200_000) // 1000, "EndTime": end // 1000,
                                         "MaxResults": 50, "Mode": "standard",
                                         **({"NextToken": token} if token else {})}))
        resp = typed.LookUpEvents(req)
        seen.extend(e.EventId for e in resp.Events)
        if resp.ListOver:
            break
        token = resp.NextToken
    assert [x for x in seen if x in set(got)] == got


def test_typed_client_and_tccli_call_look_up_events(history, stack):
    from tencentcloud.cloudaudit.v20190319 import cloudaudit_client, models
    acct, ev = history["acct"], history["events"]
    client = cloudaudit_client.CloudauditClient(credential_of(acct), "ap-guangzhou", profile(stack.endpoint))
    req = models.LookUpEventsRequest()
    req.from_json_string(json.dumps({"StartTime": history["start"] // 1000, "EndTime": history["end"] // 1000 + 1,
                                     "LookupAttributes": [{"AttributeKey": "RequestId",
                                                           "AttributeValue": ev["read"]["RequestId"]}]}))
    resp = client.LookUpEvents(req)
    assert resp.ListOver is True and len(resp.Events) == 1
    item = resp.Events[0]
    assert item.EventId == ev["read"]["EventId"] and item.RequestID == ev["read"]["RequestId"]
    assert item.AccountID == int(acct["OwnerUin"]) and item.EventNameCn == "获取地域列表"
    assert json.loads(item.CloudAuditEvent)["eventName"] == "DescribeRegions"
    tccli = ROOT / ".venv" / "bin" / "tccli"
    out = subprocess.run([str(tccli), "cloudaudit", "LookUpEvents", "--region", "ap-guangzhou",
                          "--endpoint", f"http://{stack.endpoint}", "--secretId", acct["SecretId"],
                          "--secretKey", acct["SecretKey"], "--StartTime", str(history["start"] // 1000),
                          "--EndTime", str(history["end"] // 1000 + 1), "--LookupAttributes",
                          json.dumps([{"AttributeKey": "EventName", "AttributeValue": "TerminateVsm"}])],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    body = json.loads(out.stdout)
    assert [e["EventId"] for e in body["Events"]] == [ev["denied"]["EventId"]]


@pytest.mark.parametrize("method,sign", [("GET", "HmacSHA1"), ("POST", "HmacSHA256"), ("GET", "TC3-HMAC-SHA256")])
def test_every_signature_style_reaches_lookup_events(history, client_for, method, sign):
    client = client_for(history["acct"], method=method, sign=sign)
    attrs = [{"AttributeKey": "EventName", "AttributeValue": "TerminateVsm"},
             {"AttributeKey": "SensitiveAction", "AttributeValue": "true"}]
    got = _lookup(client, history["start"], history["end"], LookupAttributes=attrs, LookupType="keyValue")
    assert [e["EventId"] for e in got["Events"]] == [history["events"]["denied"]["EventId"]]


def test_tokens_refuse_tampering_and_other_parameters(history):
    c, s, e = history["client"], history["start"], history["end"]
    first = _lookup(c, s, e, MaxResults=2)
    assert first["ListOver"] is False and first["NextToken"]
    token = first["NextToken"]
    assert _lookup(c, s, e, MaxResults=2, NextToken=token)["Events"]
    for bad in (token[:-1] + ("a" if token[-1] != "a" else "b"), "82bf3ccad18b0db62ea4f9790b969833"):
        assert error_code(c.call_json, "LookupEvents", {"StartTime": s, "EndTime": e, "NextToken": bad}) \
            == "InvalidParameterValue"
    assert error_code(c.call_json, "LookupEvents", {"StartTime": s, "EndTime": e, "NextToken": token,
                                                    "ContentValue": "x"}) == "InvalidParameterValue"


def test_parameters_are_checked(history):
    c, s, e = history["client"], history["start"], history["end"]
    assert error_code(c.call_json, "LookupEvents", {"EndTime": e}) == "MissingParameter"
    assert error_code(c.call_json, "LookupEvents", {"StartTime": s, "EndTime": e, "MaxResults": 0}) \
        == "InvalidParameterValue.MaxResult"
    assert error_code(c.call_json, "LookupEvents", {"StartTime": e, "EndTime": s}) == "InvalidParameterValue.Time"
    assert error_code(c.call_json, "LookupEvents", {"StartTime": s, "EndTime": e, "Colour": 1}) == "UnknownParameter"
    assert error_code(c.call_json, "LookupEvents", {"StartTime": "soon", "EndTime": e}) == "InvalidParameter"
    assert error_code(c.call_json, "LookupEvents", {"StartTime": s, "EndTime": e, "LookupAttributes": [
        {"AttributeKey": "Colour", "AttributeValue": "red"}]}) == "InvalidParameterValue.attributeKey"
    assert error_code(c.call_json, "LookupEvents", {"StartTime": s, "EndTime": e, "LookupType": "regex"}) \
        == "InvalidParameterValue"
    assert error_code(c.call_json, "LookUpEvents", {"StartTime": s, "EndTime": e}) == "InvalidAction"
