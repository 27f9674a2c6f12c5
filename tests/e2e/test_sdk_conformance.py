"""Conformance with the official SDK's models (tencentcloud-sdk-python, as installed).

For dasb 2019-10-18, cloudhsm 2019-11-12, kms 2019-01-18 and cloudaudit 2019-03-19 (the
actions named in SERVICES), for every action the registry knows and the SDK has a model of:

(a) Requests (no calls): every field of `<Action>Request` is a parameter the handler declares,
    recursively into nested structures the handler declares as Params (`ImportExternalDevice.
    DeviceSet.IpPortSet`). A field the handler does not declare is the gap `Action.Field`.
    Actions the SDK lacks (CommonClient-only ones) are out of scope.

(b) Responses (real calls, through CommonClient so the raw JSON is seen as sent): every call the
    test makes — the seeding writes, the reads listed below (run after seeding one of each resource
    so lists are not empty), then each service's remaining actions in conformance_writes.py —
    answers every field of `<Action>Response`, recursively
    through nested models and every element of lists, with the SDK's JSON type: str, int (a JSON
    integer, not a boolean), float (any JSON number), bool, object (a JSON object), list (a JSON
    array, its elements checked as the SDK's element type). The gap is
    `Action.Response.Path.To.Field` (list elements are not numbered).
    Null: a field that is absent or null is missing, unless the SDK's own description of that
    field says it may be null ("可能返回 null", "为null", ...); then null is accepted and not
    looked into. A nested model in an empty list cannot be checked, so the seeds aim to fill
    every list; what stays empty is not covered.
    The whole walk runs twice: through the SDK's CommonClient and through tccli (in-process; an
    action tccli does not have goes through CommonClient), whose argument parsing asks for every
    field its model marks required.
    Every action in scope is called, except those that answer an error by design
    (conformance_writes.REFUSED, with why). Not covered: request-field types or value ranges, and
    answers only a running session fills (SearchCommandBySid of a recorded session).

The known gaps not closed yet are listed, with why, in conformance_gaps/<service>.txt. Each test
fails on a gap that is not listed and on a listed gap that is closed, so the lists only shrink.
"""
import typing
import uuid
from pathlib import Path
from typing import Dict, List, Set

import pytest

from helpers import common_client
from layers.gateway import registry
from layers.gateway.schema import Params
from conformance_writes import REFUSED, WRITES
from tccli_inprocess import TccliCaller
from sdk_models import fields_of, sdk_models

GAPS = Path(__file__).parent / "conformance_gaps"

# (service as registered, SDK module name, version, gap file, actions in scope or None for all)
TRACK_ACTIONS = {"CreateAuditTrack", "DescribeAuditTrack", "DescribeAuditTracks", "ModifyAuditTrack",
                 "DeleteAuditTrack", "StartLogging", "StopLogging", "CreateEventsAuditTrack",
                 "ModifyEventsAuditTrack", "ListAudits", "DescribeAudit", "UpdateAudit", "InquireAuditCredit",
                 "ListCmqEnableRegion", "ListCosEnableRegion", "ListKeyAliasByRegion"}

SERVICES = {
    "dasb": ("bhsaas", "dasb", "2019-10-18", None),
    "cloudhsm": ("cloudhsm", "cloudhsm", "2019-11-12", None),
    "kms": ("kms", "kms", "2019-01-18", None),
    "cloudaudit": ("cloudaudit", "cloudaudit", "2019-03-19", {"LookUpEvents", "DescribeEvents", "GetAttributeKey", *TRACK_ACTIONS}),
}


def listed(name: str) -> Set[str]:
    lines = (GAPS / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}


def compare(name: str, found: Set[str], kind: str) -> None:
    """kind "request" looks at Action.Field lines, "response" at Action.Response.* lines."""
    is_response = kind == "response"
    known = {g for g in listed(name) if (".Response." in g) == is_response}
    unlisted, closed = sorted(found - known), sorted(known - found)
    assert not unlisted and not closed, (
        f"{name} {kind} gaps not listed in conformance_gaps/{name}.txt: {unlisted}; "
        f"listed but closed (delete these lines): {closed}")


# ---- (a) requests ----

def _params_model(annotation):
    if isinstance(annotation, type) and issubclass(annotation, Params):
        return annotation
    for arg in typing.get_args(annotation):
        found = _params_model(arg)
        if found is not None:
            return found
    return None


def request_gaps(models, class_name: str, declared, prefix: str) -> List[str]:
    gaps = []
    for field_name, info in fields_of(models, class_name).items():
        if field_name not in declared.model_fields:
            gaps.append(f"{prefix}.{field_name}")
        elif info.model:
            nested = _params_model(declared.model_fields[field_name].annotation)
            if nested is not None:
                gaps += request_gaps(models, info.model, nested, f"{prefix}.{field_name}")
    return gaps


def actions_in_scope(name: str):
    svc_name, sdk_name, version, only = SERVICES[name]
    models = sdk_models(sdk_name, version)
    for spec in sorted(registry.all_actions(registry.service_named(svc_name)), key=lambda s: s.name):
        if spec.versions and version not in spec.versions:
            continue
        if only is not None and spec.name not in only:
            continue
        if hasattr(models, f"{spec.name}Request"):
            yield spec, models


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_handlers_declare_every_sdk_request_field(name):
    found = set()
    for spec, models in actions_in_scope(name):
        found.update(request_gaps(models, f"{spec.name}Request", spec.input, spec.name))
    compare(name, found, "request")


def test_the_walk_sees_the_actions():
    """Guards the walker itself: it finds the actions and reads the SDK's nested fields."""
    names = {spec.name for spec, _ in actions_in_scope("dasb")}
    assert {"DescribeUsers", "CreateAcl", "ImportExternalDevice"} <= names
    device = fields_of(sdk_models("dasb", "2019-10-18"), "Device")
    assert device["GroupSet"].kind == "list" and device["GroupSet"].model == "Group"
    assert device["Resource"].model == "Resource" and device["Resource"].nullable
    assert device["Kind"].kind == "int" and not device["Kind"].nullable


# ---- (b) responses ----

_JSON = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "object": (dict,), "list": (list,)}


def _is(value, kind: str) -> bool:
    if kind in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, _JSON[kind])


def response_gaps(models, class_name: str, value: dict, prefix: str) -> List[str]:
    gaps = []
    for field_name, info in fields_of(models, class_name).items():
        path = f"{prefix}.{field_name}"
        got = value.get(field_name)
        if got is None:
            if not info.nullable:
                gaps.append(path)
            continue
        if not _is(got, info.kind):
            gaps.append(path)
            continue
        if info.kind == "object" and info.model:
            gaps += response_gaps(models, info.model, got, path)
        elif info.kind == "list":
            for item in got:
                if item is None or not _is(item, info.item):
                    gaps.append(path)
                elif info.model:
                    gaps += response_gaps(models, info.model, item, path)
    return sorted(set(gaps))


def _account() -> dict:
    from layers import identity
    acct = identity.create_account("conformance", rate_limit=10000)
    return {**acct, **identity.create_key(acct["OwnerUin"])}


def _seed_dasb(call, acct) -> List[tuple]:
    import datetime
    from layers.bastion import departments
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).isoformat(timespec="seconds")
    dep = departments.create(acct["OwnerUin"], "Ops")["Id"]
    uid = call("CreateUser", UserName="alice", RealName="Alice", Phone="13800000000", Email="a@example.com",
               DepartmentId=dep)["Id"]
    departments.set_managers(acct["OwnerUin"], dep, ["alice"])
    ugid = call("CreateUserGroup", Name="ops")["Id"]
    call("AddUserGroupMembers", Id=ugid, MemberIdSet=[uid])
    dev = call("ImportExternalDevice", DeviceSet=[{"OsName": "Linux", "Ip": "10.0.0.1", "Port": 22,
                                                   "Name": "web-1"}])["DeviceIdSet"][0]
    dgid = call("CreateDeviceGroup", Name="web")["Id"]
    call("AddDeviceGroupMembers", Id=dgid, MemberIdSet=[dev])
    call("CreateDeviceAccount", DeviceId=dev, Account="root")
    tid = call("CreateCmdTemplate", Name="danger", CmdList="rm -rf /")["Id"]
    call("CreateAcl", Name="ops-web", AllowDiskRedirect=True, AllowAnyAccount=False, UserIdSet=[uid],
         UserGroupIdSet=[ugid], DeviceIdSet=[dev], DeviceGroupIdSet=[dgid], AccountSet=["root"],
         CmdTemplateIdSet=[tid], DepartmentId=dep)
    rid = call("CreateResource", ResourceEdition="standard", ResourceNode=10, TimeUnit="m", TimeSpan=1,
               DeployRegion="ap-guangzhou", DeployZone="ap-guangzhou-3", PayMode=1, AutoRenewFlag=0,
               VpcId="", SubnetId="")["ResourceId"]     # tccli asks for every field its model requires
    call("BindDeviceResource", ResourceId=rid, DeviceIdSet=[dev])
    task = call("CreateChangePwdTask", TaskName="rotate", DeviceIdSet=[dev], AccountSet=["root"], ChangeMethod=2,
         AuthGenerationStrategy=2, PasswordLength=16, SmallLetter=1, BigLetter=1, Digit=1)["OperationId"]
    call("ModifyDevice", Id=dev, DomainId="net-conformance")        # a network domain a device names
    call("SearchCommandBySid", Sid="conformance")                   # an entry of the audit log
    return [
        ("DescribeUsers", {}), ("DescribeUserGroups", {}), ("DescribeUserGroupMembers", {"Id": ugid, "Bound": True}),
        ("DescribeDevices", {}), ("DescribeDeviceGroups", {}),
        ("DescribeDeviceGroupMembers", {"Id": dgid, "Bound": True}), ("DescribeDeviceAccounts", {"DeviceId": dev}),
        ("DescribeCmdTemplates", {}), ("DescribeAcls", {}), ("DescribeResources", {}),
        ("DescribeAssetSyncStatus", {"Category": 1}), ("DescribeChangePwdTask", {}),
        ("DescribeChangePwdTaskDetail", {"OperationId": task}),
        ("DescribeLoginEvent", {}), ("SearchCommand", {"StartTime": since}),
        ("SearchFile", {"StartTime": since}),
        ("SearchSession", {"StartTime": since, "Kind": 1}),
        ("SearchSessionCommand", {"Cmd": "ls", "StartTime": since}),
        ("DescribeDomains", {}), ("DescribeDasbImageIds", {}),
        ("DescribeOperationEvent", {}), ("SearchAuditLog", {"StartTime": since}),   # after _index_audit
    ]


def _index_audit(stack) -> None:
    """Index the audit queue (the trail DescribeOperationEvent and SearchAuditLog read)."""
    from infra.pump import Pump
    source = next(s for s in stack.app.event_sources if s.name == "audit_indexer")
    pump = Pump(stack.app)
    while pump.deliver_once(source):
        pass


def _seed_kms(call) -> List[tuple]:
    key = call("CreateKey", Alias=f"k-{uuid.uuid4().hex[:12]}", Description="conformance")["KeyId"]
    pair = call("CreateKey", Alias=f"k-{uuid.uuid4().hex[:12]}", KeyUsage="ASYMMETRIC_DECRYPT_RSA_2048")["KeyId"]
    data_key = call("GenerateDataKey", KeyId=key, KeySpec="AES_256", IsHostedByKms=1, DataKeyName="conformance",
                    Tags=[{"TagKey": "env", "TagValue": "prod"}])["DataKeyId"]
    return [
        ("GetServiceStatus", {}), ("ListAlgorithms", {}), ("ListKeys", {}), ("ListKeyDetail", {}),
        ("DescribeKey", {"KeyId": key}), ("DescribeKeys", {"KeyIds": [key, pair]}),
        ("GetKeyRotationStatus", {"KeyId": key}), ("GetPublicKey", {"KeyId": pair}),
        ("DescribeWhiteBoxServiceStatus", {}),
        ("DescribeDataKey", {"DataKeyId": data_key}), ("DescribeDataKeys", {"DataKeyIds": [data_key]}),
        ("ListDataKeys", {}), ("ListDataKeyDetail", {}), ("GetDataKeyPlaintext", {"DataKeyId": data_key}),
        ("GetDataKeyCiphertextBlob", {"DataKeyId": data_key}),
    ]


PAGE = {"Offset": 0, "Limit": 20}


def _seed_cloudhsm(call, acct) -> List[tuple]:
    import sys
    sys.path.insert(0, str(Path(__file__).parent / "cloudhsm"))
    from hsm_helpers import make_network
    from layers import aws
    net = make_network(aws.client("ec2", "ap-guangzhou"), acct["OwnerUin"])
    rid = call("CreateResource", PayMode=1, GoodsNum=1, VsmType=33, VpcId=net.vpc_id, SubnetId=net.subnet_a,
               ZoneId=100003, Tags=[{"TagKey": "env", "TagValue": "prod"}])["ResourceIds"][0]
    call("ModifyVsmAttributes", ResourceId=rid, Type=["UpdateSgIds"], SgIds=[net.sg_id])
    return [
        ("DescribeVsms", PAGE), ("DescribeVsmAttributes", {"ResourceId": rid}), ("DescribeSupportedHsm", {}),
        ("DescribeVpc", PAGE), ("DescribeSubnet", {**PAGE, "VpcId": net.vpc_id}), ("DescribeUsg", PAGE),
        ("DescribeUsgRule", {"SgIds": [net.sg_id]}), ("DescribeHSMBySubnetId", {"SubnetId": net.subnet_a}),
        ("DescribeHSMByVpcId", {"VpcId": net.vpc_id}),
        ("InquiryPriceBuyVsm", {"GoodsNum": 1, "PayMode": 1, "TimeSpan": "1", "TimeUnit": "m", "Currency": "CNY",
                                "HsmType": "virtualization",
                                "Type": "CREATE"}),
    ]


def _seed_cloudaudit(call) -> List[tuple]:
    import time
    now = int(time.time())
    call("GetAttributeKey")             # an event of the account's own (indexed before the reads): Events not empty
    return [("LookUpEvents", {"StartTime": now - 3600, "EndTime": now + 60, "MaxResults": 50}),
            ("DescribeEvents", {"StartTime": now - 3600, "EndTime": now + 60, "MaxResults": 50, "IsReturnLocation": 1}),
            ("GetAttributeKey", {"WebsiteType": "en"})]


def _seed_tracks(call, stack, acct) -> List[tuple]:
    """A track with a bucket, a CMQ (SQS) queue and a KMS key, and one with Filters."""
    kms = common_client(stack.endpoint, acct, "kms", "2019-01-18")
    key = kms.call_json("CreateKey", {"Alias": "conformance"})["Response"]["KeyId"]
    kafka = {"StorageType": "ckafka", "StorageRegion": "ap-guangzhou", "StorageName": "ckafka-c/topic",
             "StoragePrefix": "conf01"}
    tid = call("CreateAuditTrack", Name="conformance", Status=1, Storage=kafka, ActionType="*", ResourceType="*",
               EventNames=["*"])["TrackId"]
    call("UpdateAudit", AuditName="conformance", CosRegion="ap-guangzhou", CosBucketName="conformance",
         IsCreateNewBucket=1, IsEnableCmqNotify=1, CmqRegion="ap-guangzhou", CmqQueueName="conformance",
         IsCreateNewQueue=1, IsEnableKmsEncry=1, KeyId=key, KmsRegion="ap-guangzhou")
    call("CreateEventsAuditTrack", Name="conformance2", Status=0, Storage=kafka, Filters={"ResourceFields": [
        {"ResourceType": "kms", "ActionType": "Write", "EventNames": ["CreateKey"]}]})
    return [("DescribeAuditTrack", {"TrackId": tid}), ("DescribeAuditTracks", {"PageNumber": 1, "PageSize": 10}),
            ("DescribeAudit", {"AuditName": "conformance"}), ("ListAudits", {}), ("InquireAuditCredit", {}),
            ("ListCmqEnableRegion", {}), ("ListCosEnableRegion", {"WebsiteType": "en"}),
            ("ListKeyAliasByRegion", {"KmsRegion": "ap-guangzhou"})]


@pytest.mark.parametrize("through", ["sdk", "tccli"])
@pytest.mark.parametrize("name", sorted(SERVICES))
def test_responses_carry_every_sdk_field(stack, name, through, tmp_path):
    """Every call once through the SDK's CommonClient and once through tccli (in-process)."""
    svc_name, sdk_name, version, _ = SERVICES[name]
    models = sdk_models(sdk_name, version)
    acct = _account()
    client = common_client(stack.endpoint, acct, sdk_name, version)
    caller = TccliCaller(stack.endpoint, acct, sdk_name, version, home=tmp_path)

    def send(action, params):
        if through == "tccli" and hasattr(models, f"{action}Request"):    # tccli has the SDK's actions only
            return caller(action, **params)
        return client.call_json(action, params)["Response"]
    found, called = set(), set()

    def call(action, **params):
        response = send(action, params)     # an error raises
        called.add(action)
        if hasattr(models, f"{action}Response"):
            found.update(response_gaps(models, f"{action}Response", response, f"{action}.Response"))
        return response

    if name == "dasb":
        reads = _seed_dasb(call, acct)
    elif name == "kms":
        reads = _seed_kms(call)
    elif name == "cloudhsm":
        reads = _seed_cloudhsm(call, acct)
    else:
        reads = _seed_cloudaudit(call) + _seed_tracks(call, stack, acct)
    _index_audit(stack)
    for action, params in reads:
        call(action, **params)
    if name in WRITES:
        WRITES[name](call, acct)
    compare(name, found, "response")
    uncalled = {spec.name for spec, _ in actions_in_scope(name)} - called
    assert uncalled == set(REFUSED.get(name, {})), f"{name} actions no call checks: {sorted(uncalled)}"
