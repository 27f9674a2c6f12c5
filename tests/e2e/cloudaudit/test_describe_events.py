"""DescribeEvents and GetAttributeKey (2019-03-19) through the typed CloudauditClient and tccli:
every lookup key GetAttributeKey lists finds its events, keys AND together, EventName takes
several names, pages of 50 walk every event once, the 90-day / 30-day window is enforced with the
SDK's codes, and Location (IP 归属地) is where the event's source address is."""
import json
import subprocess
import time
from pathlib import Path

import pytest
from tencentcloud.cloudaudit.v20190319 import cloudaudit_client, errorcodes, models
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from ca_accounts import new_account
from ca_support import make_event
from helpers import AuditQueue, common_client, credential_of, profile
from infra.pump import LambdaContext, sqs_event

ROOT = Path(__file__).resolve().parents[3]
AUDIT_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:guardzone-audit"
DAY = 86_400


def _index(stack, events) -> None:
    """Crafted events through the real indexer handler, as Lambda hands a batch over."""
    indexer = stack.app.handler_map["audit_indexer"]
    for i in range(0, len(events), 100):
        batch = [{"MessageId": f"m-{i + j}", "ReceiptHandle": f"h-{i + j}", "Body": json.dumps(e, ensure_ascii=False)}
                 for j, e in enumerate(events[i:i + 100])]
        assert indexer(sqs_event(AUDIT_QUEUE_ARN, batch), LambdaContext("audit_indexer")) == {"indexed": len(batch)}


@pytest.fixture(scope="module")
def world(stack):
    """An account's history of crafted events, one per key value the tests look for, plus 120 of
    one EventName to page through, and one real call through the gateway."""
    acct = new_account()
    owner = acct["OwnerUin"]
    now_ms = int(time.time() * 1000)
    t = now_ms - 3_600_000
    named = {
        "create": make_event(owner, t + 1, action="CreateResource", resources=["vsm-0000000a"], resource_type="vsm",
                             params={"Tags": [{"TagKey": "team", "TagValue": "支付组"}]}, source_ip="114.114.114.114"),
        "terminate": make_event(owner, t + 2, action="TerminateVsm", resources=["vsm-0000000b"], resource_type="vsm",
                                uin="200000000077", secret_id="AKIDsubuser00000000000077", source_ip="8.8.8.8"),
        "denied": make_event(owner, t + 3, action="ModifyVsmAttributes", error="AuthFailure.UnauthorizedOperation",
                             uin="200000000077", source_ip="2400:da00::6666"),
        "bad": make_event(owner, t + 4, action="DescribeVsmAttributes", error="InvalidParameterValue",
                          source_ip="10.9.8.7"),
    }
    bulk = [make_event(owner, t - 1000 * (i + 1), action="DescribeSupportedHsm") for i in range(120)]
    _index(stack, list(named.values()) + bulk)
    typed = cloudaudit_client.CloudauditClient(credential_of(acct), "ap-guangzhou", profile(stack.endpoint))
    # one real call: its event's SourceIPAddress is this connection's (loopback). The events the
    # suite sent before are dropped first (the session's stack runs no pump; indexing them all here
    # took ~40 s): each test that looks events up indexes its own.
    AuditQueue(stack.resources["AuditQueue"]["QueueUrl"]).clear()
    real_id = common_client(stack.endpoint, acct, "cloudhsm", "2019-11-12").call_json(
        "DescribeRegions", {})["Response"]["RequestId"]
    source = next(s for s in stack.app.event_sources if s.name == "audit_indexer")
    from infra.pump import Pump
    pump = Pump(stack.app)
    while pump.deliver_once(source):
        pass
    return dict(acct=acct, typed=typed, named=named, bulk=bulk, real_id=real_id,
                start=(t - 200_000) // 1000, end=now_ms // 1000 + 60)


def _request(world, **params) -> models.DescribeEventsRequest:
    req = models.DescribeEventsRequest()
    req.from_json_string(json.dumps({"StartTime": world["start"], "EndTime": world["end"], "MaxResults": 50,
                                     **params}))
    return req


def _ids(world, *attrs, **params) -> list:
    lookup = [{"AttributeKey": k, "AttributeValue": v} for k, v in attrs]
    resp = world["typed"].DescribeEvents(_request(world, LookupAttributes=lookup, **params))
    return [e.EventId for e in resp.Events]


def _code(world, **params) -> str:
    with pytest.raises(TencentCloudSDKException) as err:
        world["typed"].DescribeEvents(_request(world, **params))
    return err.value.code


def test_every_lookup_key_finds_its_events(world):
    n = {k: e["EventId"] for k, e in world["named"].items()}
    create, terminate, denied = world["named"]["create"], world["named"]["terminate"], world["named"]["denied"]
    assert _ids(world, ("RequestId", create["RequestId"])) == [n["create"]]
    assert _ids(world, ("EventName", "TerminateVsm")) == [n["terminate"]]
    assert set(_ids(world, ("ActionType", "Write"))) == {n["create"], n["terminate"], n["denied"]}
    assert _ids(world, ("PrincipalId", "200000000077")) == [n["denied"], n["terminate"]]
    assert _ids(world, ("ResourceType", "vsm")) == [n["terminate"], n["create"]]
    assert _ids(world, ("ResourceId", "vsm-0000000a")) == [n["create"]]
    assert _ids(world, ("ResourceName", "vsm-0000000b")) == [n["terminate"]]
    assert _ids(world, ("AccessKeyId", terminate["SecretId"])) == [n["terminate"]]
    assert _ids(world, ("SensitiveAction", "true")) == [n["denied"], n["terminate"]]
    assert _ids(world, ("ApiErrorCode", "InvalidParameterValue")) == [n["bad"]]
    assert _ids(world, ("CamErrorCode", "AuthFailure.UnauthorizedOperation")) == [n["denied"]]
    assert _ids(world, ("SourceIPAddress", "8.8.8.8")) == [n["terminate"]]
    assert _ids(world, ("Tags", json.dumps([{"key": "team", "value": "支付组"}]))) == [n["create"]]
    assert _ids(world, ("Location", "China")) == [n["denied"], n["create"]]
    assert denied["EventId"] == n["denied"]


def test_keys_and_together_and_event_name_takes_several(world):
    n = {k: e["EventId"] for k, e in world["named"].items()}
    assert _ids(world, ("PrincipalId", "200000000077"), ("Location", "United States")) == [n["terminate"]]
    assert _ids(world, ("ResourceType", "vsm"), ("SensitiveAction", "false")) == [n["create"]]
    assert _ids(world, ("EventName", "TerminateVsm"), ("EventName", "CreateResource")) == [n["terminate"], n["create"]]
    assert _ids(world, ("EventName", "TerminateVsm,CreateResource,DescribeVsmAttributes")) \
        == [n["bad"], n["terminate"], n["create"]]
    assert _ids(world, ("EventName", "TerminateVsm,CreateResource"), ("Location", "China")) == [n["create"]]


def test_pages_of_fifty_walk_every_event_once_in_order(world):
    seen, token, pages = [], None, 0
    while True:
        resp = world["typed"].DescribeEvents(_request(world, LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "DescribeSupportedHsm"}], **(
            {"NextToken": token} if token else {})))
        assert isinstance(resp.NextToken, int) and resp.TotalCount == len(resp.Events) <= 50
        seen += [e.EventId for e in resp.Events]
        pages += 1
        if resp.ListOver:
            assert resp.NextToken == 0
            break
        token = resp.NextToken
    assert pages == 3 and seen == [e["EventId"] for e in world["bulk"]]
    assert _code(world, MaxResults=51) == errorcodes.INVALIDPARAMETERVALUE_MAXRESULT
    assert _code(world, NextToken=12345) == "InvalidParameterValue"        # not a position in the range


def test_the_window_is_the_last_90_days_30_at_a_time(world):
    now = int(time.time())
    assert _code(world, StartTime=now - 31 * DAY, EndTime=now) == errorcodes.LIMITEXCEEDED_OVERTIME
    assert _code(world, StartTime=now - 91 * DAY, EndTime=now - 80 * DAY) == errorcodes.INVALIDPARAMETERVALUE_TIME
    assert _code(world, StartTime=now, EndTime=now - 60) == errorcodes.INVALIDPARAMETERVALUE_TIME
    assert world["typed"].DescribeEvents(_request(world, StartTime=now - 30 * DAY, EndTime=now)).Events
    with pytest.raises(TencentCloudSDKException) as err:          # a key DescribeEvents does not list
        _ids(world, ("Username", "200000000077"))
    assert err.value.code == errorcodes.INVALIDPARAMETERVALUE_ATTRIBUTEKEY


def test_location_is_where_the_source_address_is(world):
    names = "CreateResource,TerminateVsm,ModifyVsmAttributes,DescribeVsmAttributes"
    resp = world["typed"].DescribeEvents(_request(world, IsReturnLocation=1, LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": names}]))
    by_id = {e.EventId: e for e in resp.Events}
    named = world["named"]
    assert by_id[named["create"]["EventId"]].Location == "China"
    assert by_id[named["terminate"]["EventId"]].Location == "United States"
    assert by_id[named["denied"]["EventId"]].Location == "China"                 # IPv6
    assert by_id[named["bad"]["EventId"]].Location == "Intranet"                 # private
    real = world["typed"].DescribeEvents(_request(world, IsReturnLocation=1, LookupAttributes=[
        {"AttributeKey": "RequestId", "AttributeValue": world["real_id"]}])).Events
    assert [(e.SourceIPAddress, e.Location, e.EventName) for e in real] == [("127.0.0.1", "Intranet", "DescribeRegions")]
    item = by_id[named["terminate"]["EventId"]]
    assert item.EventName == "TerminateVsm" and item.AccountID == int(world["acct"]["OwnerUin"])
    assert item.Resources.ResourceName == "vsm-0000000b" and json.loads(item.CloudAuditEvent)["eventName"] == "TerminateVsm"
    quiet = world["typed"].DescribeEvents(_request(world, IsReturnLocation=0)).Events
    assert quiet and all(e.Location == "" for e in quiet)
    assert _code(world, IsReturnLocation=2) == "InvalidParameterValue"


def test_another_account_sees_none_of_it(stack, world):
    stranger = new_account()
    typed = cloudaudit_client.CloudauditClient(credential_of(stranger), "ap-guangzhou", profile(stack.endpoint))
    assert typed.DescribeEvents(_request(world, LookupAttributes=[
        {"AttributeKey": "Location", "AttributeValue": "China"}])).Events == []


def test_get_attribute_key_lists_what_describe_events_takes(world):
    typed = world["typed"]
    zh = typed.GetAttributeKey(models.GetAttributeKeyRequest()).AttributeKeyDetails
    req = models.GetAttributeKeyRequest()
    req.WebsiteType = "en"
    en = typed.GetAttributeKey(req).AttributeKeyDetails
    assert [d.Value for d in zh] == [d.Value for d in en] == [
        "RequestId", "EventName", "ActionType", "PrincipalId", "ResourceType", "ResourceId", "ResourceName",
        "AccessKeyId", "SensitiveAction", "ApiErrorCode", "CamErrorCode", "SourceIPAddress", "Tags", "Location"]
    assert [d.Order for d in zh] == list(range(1, 15))
    labels = {d.Value: (d.Label, e.Label, d.LabelType) for d, e in zip(zh, en)}
    assert labels["EventName"] == ("事件名称", "Event name", "text")
    assert labels["ActionType"][2] == "select" and labels["Tags"][2] == "tags"
    req.WebsiteType = "fr"
    with pytest.raises(TencentCloudSDKException) as err:
        typed.GetAttributeKey(req)
    assert err.value.code == "InvalidParameterValue"
    for d in zh:                                 # every key listed is one DescribeEvents takes
        value = {"ActionType": "Read", "SensitiveAction": "false", "Tags": '[{"key":"team"}]'}.get(d.Value, "x")
        _ids(world, (d.Value, value))


def test_tccli_describe_events(world, stack):
    acct = world["acct"]
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "tccli"), "cloudaudit", "DescribeEvents",
                          "--region", "ap-guangzhou", "--endpoint", f"http://{stack.endpoint}",
                          "--secretId", acct["SecretId"], "--secretKey", acct["SecretKey"],
                          "--StartTime", str(world["start"]), "--EndTime", str(world["end"]),
                          "--IsReturnLocation", "1", "--LookupAttributes",
                          json.dumps([{"AttributeKey": "Location", "AttributeValue": "United States"}])],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    body = json.loads(out.stdout)
    assert [(e["EventId"], e["Location"]) for e in body["Events"]] \
        == [(world["named"]["terminate"]["EventId"], "United States")]
    assert body["ListOver"] is True and body["NextToken"] == 0
