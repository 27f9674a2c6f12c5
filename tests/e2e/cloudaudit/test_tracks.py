"""CloudAudit tracks (cloudaudit 2019-03-19) through the official typed CloudauditClient and tccli:
CreateAuditTrack ... ListKeyAliasByRegion, with validation, the per-account limit and tenancy."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tencentcloud.cloudaudit.v20190319 import cloudaudit_client, models
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.kms.v20190118 import kms_client
from tencentcloud.kms.v20190118 import models as kms_models

from ca_accounts import new_account
from helpers import credential_of, profile
from layers import aws

TCCLI = str(Path(sys.executable).parent / "tccli")


class Client:
    def __init__(self, stack, acct):
        self.acct = acct
        self.raw = cloudaudit_client.CloudauditClient(credential_of(acct), "ap-guangzhou", profile(stack.endpoint))

    def __call__(self, action, **params):
        req = getattr(models, f"{action}Request")()
        req.from_json_string(json.dumps(params))
        return json.loads(getattr(self.raw, action)(req).to_json_string())

    def error(self, action, **params) -> str:
        try:
            self(action, **params)
        except TencentCloudSDKException as exc:
            return exc.code
        raise AssertionError(f"{action} succeeded")


def _bucket(acct, name, region="us-east-1"):
    s3 = aws.client("s3", aws_region_name=region)
    full = f"{name}-{acct['AppId']}"
    if region == "us-east-1":
        s3.create_bucket(Bucket=full)
    else:
        s3.create_bucket(Bucket=full, CreateBucketConfiguration={"LocationConstraint": region})
    return full


def _storage(name="trail", **kw):
    return {"StorageType": "cos", "StorageRegion": "ap-guangzhou", "StorageName": name, "StoragePrefix": "logs01",
            **kw}


def _key(stack, acct, alias, region="ap-guangzhou"):
    c = kms_client.KmsClient(credential_of(acct), region, profile(stack.endpoint))
    req = kms_models.CreateKeyRequest()
    req.from_json_string(json.dumps({"Alias": alias}))
    return c.CreateKey(req).KeyId


@pytest.fixture(scope="module")
def owner(stack):
    acct = new_account()
    _bucket(acct, "trail")
    return Client(stack, acct)


@pytest.fixture(scope="module")
def other(stack):
    return Client(stack, new_account())


def test_create_describe_modify_delete(owner):
    tid = owner("CreateAuditTrack", Name="main_trail-1", Status=1, Storage=_storage(), ActionType="Write",
                ResourceType="kms", EventNames=["CreateKey", "Encrypt"])["TrackId"]
    got = owner("DescribeAuditTrack", TrackId=tid)
    assert got["Name"] == "main_trail-1" and got["Status"] == 1 and got["ActionType"] == "Write"
    assert got["ResourceType"] == "kms" and got["EventNames"] == ["CreateKey", "Encrypt"]
    assert got["TrackForAllMembers"] == 0
    assert got["Storage"] == {"StorageType": "cos", "StorageRegion": "ap-guangzhou", "StorageName": "trail",
                              "StoragePrefix": "logs01", "StorageAccountId": owner.acct["OwnerUin"],
                              "StorageAppId": owner.acct["AppId"], "Compress": 1}
    assert got["Filters"]["ResourceFields"] == [{"ResourceType": "kms", "ActionType": "Write",
                                                 "EventNames": ["CreateKey", "Encrypt"]}]
    listed = owner("DescribeAuditTracks", PageNumber=1, PageSize=10)
    assert tid in [t["TrackId"] for t in listed["Tracks"]] and listed["TotalCount"] >= 1

    owner("ModifyAuditTrack", TrackId=tid, ResourceType="*", EventNames=["*"], ActionType="*", Status=0,
          Storage=_storage(StoragePrefix="other22", Compress=2))
    got = owner("DescribeAuditTrack", TrackId=tid)
    assert (got["ResourceType"], got["EventNames"], got["ActionType"], got["Status"]) == ("*", ["*"], "*", 0)
    assert got["Storage"]["StoragePrefix"] == "other22" and got["Storage"]["Compress"] == 2
    assert owner.error("ModifyAuditTrack", TrackId=tid, Name="renamed") == \
        "InvalidParameterValue.AuditTrackNameNotSupportModify"
    assert owner.error("ModifyAuditTrack", TrackId=tid, EventNames=["CreateKey"]) == "InvalidParameterValue"

    owner("DeleteAuditTrack", TrackId=tid)
    assert owner.error("DescribeAuditTrack", TrackId=tid) == "ResourceNotFound.AuditNotExist"
    assert owner.error("DeleteAuditTrack", TrackId=tid) == "ResourceNotFound.AuditNotExist"


@pytest.mark.parametrize("params, code", [
    ({"Name": "ab"}, "InvalidParameterValue"),
    ({"Name": "bad name!"}, "InvalidParameterValue"),
    ({"ActionType": "Delete"}, "InvalidParameterValue.ReadWriteAttributeError"),
    ({"ResourceType": "*", "EventNames": ["CreateKey"]}, "InvalidParameterValue"),
    ({"EventNames": [f"Action{i}" for i in range(11)]}, "InvalidParameterValue"),
    ({"Status": 2}, "InvalidParameterValue"),
    ({"TrackForAllMembers": 1}, "FailedOperation.MemberNotInOrganization"),
    ({"Storage": _storage(StoragePrefix="ab")}, "InvalidParameterValue.LogFilePrefixError"),
    ({"Storage": _storage(StoragePrefix="has-dash")}, "InvalidParameterValue.LogFilePrefixError"),
    ({"Storage": _storage(Compress=3)}, "InvalidParameterValue"),
    ({"Storage": _storage(StorageType="cls")}, "FailedOperation.CheckClsTopicIsExistFailed"),
    ({"Storage": _storage(StorageRegion="mars-1")}, "InvalidParameterValue.CosRegionError"),
    ({"Storage": _storage(StorageName="Bad_Bucket")}, "InvalidParameterValue.CosNameError"),
    ({"Storage": _storage(StorageName="nosuchbucket")}, "ResourceNotFound.CosNotExist"),
    ({"Storage": _storage(StorageName="trail-1259999999")}, "InvalidParameterValue.CosNameError"),
    ({"Storage": _storage(StorageAccountId="100000000009")}, "FailedOperation.MemberNotInOrganization"),
    ({"Storage": _storage(StorageAppId="1259999999")}, "FailedOperation.MemberNotInOrganization"),
])
def test_create_validation(owner, params, code):
    base = {"Name": "valid_name", "Status": 1, "Storage": _storage(), "ActionType": "Read", "ResourceType": "kms",
            "EventNames": ["*"]}
    assert owner.error("CreateAuditTrack", **{**base, **params}) == code
    assert "valid_name" not in [t["Name"] for t in owner("DescribeAuditTracks", PageNumber=1, PageSize=100)["Tracks"]]


def test_tenancy(stack, owner, other):
    tid = owner("CreateAuditTrack", Name="private", Status=1, Storage=_storage(), ActionType="*",
                ResourceType="*", EventNames=["*"])["TrackId"]
    try:
        assert other.error("DescribeAuditTrack", TrackId=tid) == "ResourceNotFound.AuditNotExist"
        assert other.error("ModifyAuditTrack", TrackId=tid, Status=0) == "ResourceNotFound.AuditNotExist"
        assert other.error("DeleteAuditTrack", TrackId=tid) == "ResourceNotFound.AuditNotExist"
        assert other.error("StopLogging", AuditName="private") == "ResourceNotFound.AuditNotExist"
        assert other.error("DescribeAudit", AuditName="private") == "ResourceNotFound.AuditNotExist"
        assert other.error("UpdateAudit", AuditName="private", LogFilePrefix="abc") == "ResourceNotFound.AuditNotExist"
        assert "private" not in [a["AuditName"] for a in other("ListAudits")["AuditSummarys"]]
        assert other("DescribeAuditTracks", PageNumber=1, PageSize=100)["TotalCount"] == 0
        # the other account cannot point its track at the owner's bucket, nor use the owner's key
        assert other.error("CreateAuditTrack", Name="steal", Status=1, ActionType="*", ResourceType="*",
                           EventNames=["*"], Storage=_storage(f"trail-{owner.acct['AppId']}")) == \
            "InvalidParameterValue.CosNameError"
        assert other.error("CreateAuditTrack", Name="steal", Status=1, ActionType="*", ResourceType="*",
                           EventNames=["*"], Storage=_storage(StorageAccountId=owner.acct["OwnerUin"],
                                                              StorageAppId=owner.acct["AppId"])) == \
            "FailedOperation.MemberNotInOrganization"
        _bucket(other.acct, "trail")
        other("CreateAuditTrack", Name="mine", Status=1, ActionType="*", ResourceType="*", EventNames=["*"],
              Storage=_storage())
        owner_key = _key(stack, owner.acct, "owner_key")
        assert other.error("UpdateAudit", AuditName="mine", IsEnableKmsEncry=1, KeyId=owner_key,
                           KmsRegion="ap-guangzhou") == "ResourceNotFound"
        assert owner("DescribeAuditTrack", TrackId=tid)["Status"] == 1
    finally:
        owner("DeleteAuditTrack", TrackId=tid)


def test_audit_views_update_and_logging(stack, owner):
    owner("CreateAuditTrack", Name="audit_view", Status=0, Storage=_storage(), ActionType="Read",
          ResourceType="*", EventNames=["*"])
    try:
        summary = next(a for a in owner("ListAudits")["AuditSummarys"] if a["AuditName"] == "audit_view")
        assert summary == {"AuditName": "audit_view", "AuditStatus": 0, "CosBucketName": "trail",
                           "LogFilePrefix": "logs01"}
        assert owner("StartLogging", AuditName="audit_view")["IsSuccess"] == 1
        assert owner("DescribeAudit", AuditName="audit_view")["AuditStatus"] == 1
        assert owner("StopLogging", AuditName="audit_view")["IsSuccess"] == 1
        assert owner.error("StartLogging", AuditName="nosuch") == "ResourceNotFound.AuditNotExist"

        key = _key(stack, owner.acct, "trail_key")
        assert owner("UpdateAudit", AuditName="audit_view", ReadWriteAttribute=2, CosRegion="ap-guangzhou",
                     CosBucketName="newtrail", IsCreateNewBucket=1, LogFilePrefix="prefix9", IsEnableCmqNotify=1,
                     CmqRegion="ap-shanghai", CmqQueueName="audit-q", IsCreateNewQueue=1, IsEnableKmsEncry=1,
                     KeyId=key, KmsRegion="ap-guangzhou")["IsSuccess"] == 1
        aws.client("s3", aws_region_name="us-east-1").head_bucket(Bucket=f"newtrail-{owner.acct['AppId']}")
        aws.client("sqs", aws_region_name="us-east-2").get_queue_url(QueueName=f"audit-q-{owner.acct['AppId']}")
        got = owner("DescribeAudit", AuditName="audit_view")
        assert got == {"AuditName": "audit_view", "AuditStatus": 0, "ReadWriteAttribute": 2,
                       "CosRegion": "ap-guangzhou", "CosBucketName": "newtrail", "LogFilePrefix": "prefix9",
                       "IsEnableCmqNotify": 1, "CmqRegion": "ap-shanghai", "CmqQueueName": "audit-q",
                       "IsEnableKmsEncry": 1, "KeyId": key, "KmsRegion": "ap-guangzhou", "KmsAlias": "trail_key",
                       "RequestId": got["RequestId"]}
        assert owner.error("UpdateAudit", AuditName="audit_view", CosBucketName="newtrail",
                           IsCreateNewBucket=1) == "ResourceInUse.CosBucketExists"
        assert owner.error("UpdateAudit", AuditName="audit_view", IsEnableCmqNotify=1, CmqRegion="ap-shanghai",
                           CmqQueueName="absent-q", IsCreateNewQueue=0) == "ResourceNotFound"
        assert owner.error("UpdateAudit", AuditName="audit_view", IsEnableCmqNotify=1) == "MissingParameter.cmq"
        assert owner.error("UpdateAudit", AuditName="audit_view", IsEnableCmqNotify=1, CmqRegion="ap-shanghai",
                           CmqQueueName="9bad", IsCreateNewQueue=1) == "InvalidParameterValue.QueueNameError"
        assert owner.error("UpdateAudit", AuditName="audit_view", IsEnableKmsEncry=1, KeyId=key,
                           KmsRegion="ap-shanghai") == "InvalidParameterValue.KmsRegionError"
        assert owner.error("UpdateAudit", AuditName="audit_view", ReadWriteAttribute=4) == \
            "InvalidParameterValue.ReadWriteAttributeError"
        # a refused update changes nothing (the bucket named here is not made)
        assert owner.error("UpdateAudit", AuditName="audit_view", CosBucketName="neverbucket", IsCreateNewBucket=1,
                           LogFilePrefix="x") == "InvalidParameterValue.LogFilePrefixError"
        assert owner("DescribeAudit", AuditName="audit_view")["CosBucketName"] == "newtrail"
        owner("UpdateAudit", AuditName="audit_view", IsEnableCmqNotify=0, IsEnableKmsEncry=0)
        got = owner("DescribeAudit", AuditName="audit_view")
        assert (got["IsEnableCmqNotify"], got["IsEnableKmsEncry"], got["KeyId"], got["KmsAlias"]) == (0, 0, "", "")
        track = next(t for t in owner("DescribeAuditTracks", PageNumber=1, PageSize=100)["Tracks"]
                     if t["Name"] == "audit_view")
        assert track["ActionType"] == "Write" and track["Storage"]["StorageName"] == "newtrail"
    finally:
        tid = next(t["TrackId"] for t in owner("DescribeAuditTracks", PageNumber=1, PageSize=100)["Tracks"]
                   if t["Name"] == "audit_view")
        owner("DeleteAuditTrack", TrackId=tid)


def test_events_track_and_ckafka(owner):
    filters = {"ResourceFields": [{"ResourceType": "kms", "ActionType": "Write", "EventNames": ["CreateKey"]},
                                  {"ResourceType": "cloudhsm", "ActionType": "*", "EventNames": ["*"]}]}
    tid = owner("CreateEventsAuditTrack", Name="events_trail", Status=1, Storage=_storage(), Filters=filters)["TrackId"]
    try:
        got = owner("DescribeAuditTrack", TrackId=tid)
        assert got["Filters"] == filters and (got["ActionType"], got["ResourceType"], got["EventNames"]) == ("", "", [])
        assert owner.error("CreateEventsAuditTrack", Name="events_bad", Status=1, Storage=_storage(),
                           Filters={"ResourceFields": [{"ResourceType": "*", "ActionType": "*",
                                                        "EventNames": ["CreateKey"]}]}) == "InvalidParameterValue"
        assert owner.error("CreateEventsAuditTrack", Name="events_bad", Status=1, Storage=_storage(),
                           Filters={"ResourceFields": []}) == "InvalidParameterValue"
        new = {"ResourceFields": [{"ResourceType": "dasb", "ActionType": "Read", "EventNames": ["*"]}]}
        owner("ModifyEventsAuditTrack", TrackId=tid, Filters=new,
              Storage={"StorageType": "ckafka", "StorageRegion": "ap-guangzhou", "StorageName": "ckafka-abc/topic1",
                       "StoragePrefix": "kafka01"})
        got = owner("DescribeAuditTrack", TrackId=tid)
        assert got["Filters"] == new and got["Storage"]["StorageType"] == "ckafka"
        assert got["Storage"]["StorageName"] == "ckafka-abc/topic1"
        assert owner("DescribeAudit", AuditName="events_trail")["ReadWriteAttribute"] == 1
        assert owner.error("ModifyEventsAuditTrack", TrackId=tid, Storage={
            "StorageType": "ckafka", "StorageRegion": "ap-guangzhou", "StorageName": "no-topic",
            "StoragePrefix": "kafka01"}) == "InvalidParameterValue.QueueNameError"
        assert owner.error("ModifyEventsAuditTrack", TrackId=tid, TrackForAllMembers=1) == \
            "FailedOperation.MemberNotInOrganization"
    finally:
        owner("DeleteAuditTrack", TrackId=tid)


def test_limit_and_credit(stack):
    c = Client(stack, new_account())
    _bucket(c.acct, "trail")
    assert c("InquireAuditCredit")["AuditAmount"] == 5
    ids = [c("CreateAuditTrack", Name=f"track{i}", Status=1, Storage=_storage(), ActionType="*", ResourceType="*",
             EventNames=["*"])["TrackId"] for i in range(5)]
    assert ids == [1, 2, 3, 4, 5]
    assert c("InquireAuditCredit")["AuditAmount"] == 0
    assert c.error("CreateAuditTrack", Name="track9", Status=1, Storage=_storage(), ActionType="*",
                   ResourceType="*", EventNames=["*"]) == "LimitExceeded.OverAmount"
    assert c.error("CreateEventsAuditTrack", Name="track9", Status=1, Storage=_storage(), Filters={
        "ResourceFields": [{"ResourceType": "kms", "ActionType": "*", "EventNames": ["*"]}]}) == \
        "LimitExceeded.OverAmount"
    page = c("DescribeAuditTracks", PageNumber=2, PageSize=2)
    assert page["TotalCount"] == 5 and [t["TrackId"] for t in page["Tracks"]] == [3, 4]
    c("DeleteAuditTrack", TrackId=1)
    assert c("InquireAuditCredit")["AuditAmount"] == 1
    assert c.error("CreateAuditTrack", Name="track2", Status=1, Storage=_storage(), ActionType="*",
                   ResourceType="*", EventNames=["*"]) == "ResourceInUse"


def test_enable_regions(owner):
    zh = owner("ListCosEnableRegion")["EnableRegions"]
    assert {"CosRegion": "ap-guangzhou", "CosRegionName": "华南地区(广州)"} in zh
    en = owner("ListCosEnableRegion", WebsiteType="en")["EnableRegions"]
    assert {"CosRegion": "ap-guangzhou", "CosRegionName": "South China(Guangzhou)"} in en and len(en) == len(zh)
    cmq = owner("ListCmqEnableRegion", WebsiteType="zh")["EnableRegions"]
    assert {"CmqRegion": "ap-shanghai", "CmqRegionName": "华东地区(上海)"} in cmq
    assert owner.error("ListCmqEnableRegion", WebsiteType="fr") == "InvalidParameterValue"


def test_list_key_alias_by_region(stack, other):
    acct = new_account()
    c = Client(stack, acct)
    ids = [_key(stack, acct, f"alias_{i}") for i in range(3)]
    _key(stack, acct, "elsewhere", region="ap-shanghai")
    _key(stack, other.acct, "not_yours")
    got = c("ListKeyAliasByRegion", KmsRegion="ap-guangzhou")
    assert got["TotalCount"] == 3
    assert got["KeyMetadatas"] == [{"KeyId": k, "Alias": f"alias_{i}"} for i, k in enumerate(ids)]
    page = c("ListKeyAliasByRegion", KmsRegion="ap-guangzhou", Offset=1, Limit=1)
    assert page["TotalCount"] == 3 and page["KeyMetadatas"] == [{"KeyId": ids[1], "Alias": "alias_1"}]
    assert c("ListKeyAliasByRegion", KmsRegion="ap-shanghai")["TotalCount"] == 1
    assert c.error("ListKeyAliasByRegion", KmsRegion="mars-1") == "InvalidParameterValue.KmsRegionError"
    assert c.error("ListKeyAliasByRegion", KmsRegion="ap-guangzhou", Limit=201) == "InvalidParameterValue"


def _tccli(stack, acct, home, *args):
    cmd = [TCCLI, "cloudaudit", *args, "--version", "2019-03-19", "--region", "ap-guangzhou", "--endpoint",
           f"http://{stack.endpoint}", "--secretId", acct["SecretId"], "--secretKey", acct["SecretKey"]]
    return subprocess.run(cmd, env={**os.environ, "HOME": str(home)}, capture_output=True, text=True, timeout=120)


def test_tccli_create_and_describe(stack, tmp_path, audit):
    acct = new_account()
    _bucket(acct, "clitrail")
    made = _tccli(stack, acct, tmp_path, "CreateAuditTrack", "--Name", "cli_trail", "--Status", "1",
                  "--Storage", json.dumps(_storage("clitrail")), "--ActionType", "*", "--ResourceType", "*",
                  "--EventNames", '["*"]')
    assert made.returncode == 0, made.stderr + made.stdout
    body = json.loads(made.stdout)
    assert body["TrackId"] == 1
    event = audit.by_request(body["RequestId"])
    assert event["EventName"] == "CreateAuditTrack" and event["AccountId"] == acct["OwnerUin"]
    listed = _tccli(stack, acct, tmp_path, "DescribeAuditTracks", "--PageNumber", "1", "--PageSize", "10")
    assert listed.returncode == 0, listed.stderr + listed.stdout
    tracks = json.loads(listed.stdout)
    assert tracks["TotalCount"] == 1 and tracks["Tracks"][0]["Name"] == "cli_trail"
    bad = _tccli(stack, acct, tmp_path, "CreateAuditTrack", "--Name", "x", "--Status", "1",
                 "--Storage", json.dumps(_storage("clitrail")), "--ActionType", "*", "--ResourceType", "*",
                 "--EventNames", '["*"]')
    assert bad.returncode != 0 and "InvalidParameterValue" in bad.stdout + bad.stderr
