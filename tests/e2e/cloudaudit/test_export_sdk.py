"""CreateExportTask / DescribeExportTasks with the official SDK: an export runs off the export
queue into the caller's bucket, and DescribeExportTasks reports it as the seed's ExportList."""
import csv
import io
import json
import time
import urllib.request

import pytest

from ca_accounts import new_account
from helpers import error_code
from infra.pump import Pump
from layers import aws


def _now() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def run_exports(stack):
    source = next(s for s in stack.app.event_sources if s.name == "audit_export")
    pump = Pump(stack.app)

    def run() -> None:
        while pump.deliver_once(source):
            pass
    return run


@pytest.fixture
def made_calls(stack, client_for, index_audit_queue):
    acct = new_account()
    start = _now() - 1000
    hsm = client_for(acct, "cloudhsm", "2019-11-12")
    request_ids = [hsm.call_json("DescribeRegions", {})["Response"]["RequestId"] for _ in range(3)]
    index_audit_queue()
    return acct, start, _now() + 1000, request_ids


def test_an_export_into_a_new_bucket_runs_and_is_reported(made_calls, client_for, run_exports):
    acct, start, end, request_ids = made_calls
    c = client_for(acct)
    created = c.call_json("CreateExportTask", {
        "StartTime": start, "EndTime": end, "CosBucket": "audit-out", "IsCreateNewBucket": True,
        "StorageType": "cos", "FileType": "JSON", "Language": "en",
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "DescribeRegions"}]})["Response"]
    bucket = f"audit-out-{acct['AppId']}"
    assert created["CosBucket"] == bucket and created["Id"]
    pending = c.call_json("DescribeExportTasks", {"Id": created["Id"]})["Response"]["ExportList"][0]
    assert pending["Status"] == "pending" and pending["DownloadUrl"] == ""
    run_exports()
    listed = c.call_json("DescribeExportTasks", {})["Response"]
    assert listed["TotalCount"] == 1
    task = listed["ExportList"][0]
    assert set(task) == {"Id", "OwnerUin", "CosBucket", "CosRegion", "Status", "StartTime", "EndTime", "CreateTime",
                         "UpdateTime", "SubAccountUin", "FileSize", "StorageType", "FileType", "Language",
                         "DownloadUrl"}
    assert (task["Id"], task["Status"], task["OwnerUin"], task["CosBucket"], task["CosRegion"]) == \
        (created["Id"], "success", acct["OwnerUin"], bucket, "ap-guangzhou")
    assert (task["StartTime"], task["EndTime"], task["FileType"], task["Language"], task["StorageType"]) == \
        (start, end, "JSON", "en", "cos")
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    body = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    assert task["FileSize"] == len(body)
    with urllib.request.urlopen(task["DownloadUrl"]) as got:      # the console's download link
        assert got.read() == body
    exported = json.loads(body)
    assert sorted(e["requestID"] for e in exported) == sorted(request_ids)


def test_a_csv_export_into_an_existing_bucket_with_chinese_headers(made_calls, client_for, run_exports):
    acct, start, end, request_ids = made_calls
    bucket = f"existing-{acct['AppId']}"
    aws.client("s3").create_bucket(Bucket=bucket)
    c = client_for(acct)
    created = c.call_json("CreateExportTask", {"StartTime": start, "EndTime": end, "CosBucket": bucket,
                                               "FileType": "CSV", "Language": "zh",
                                               "ContentValue": request_ids[1]})["Response"]
    run_exports()
    task = c.call_json("DescribeExportTasks", {"Id": created["Id"]})["Response"]["ExportList"][0]
    assert task["Status"] == "success"
    s3 = aws.client("s3")
    key = next(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"] if created["Id"] in o["Key"])
    rows = list(csv.reader(io.StringIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8-sig"))))
    assert rows[0][:3] == ["事件时间", "用户名", "事件名称"] and len(rows) == 2
    assert rows[1][rows[0].index("请求ID")] == request_ids[1]


def test_export_errors_use_the_seed_codes(made_calls, client_for):
    acct, start, end, _ = made_calls
    c = client_for(acct)
    base = {"StartTime": start, "EndTime": end}
    taken = f"taken-{acct['AppId']}"
    aws.client("s3").create_bucket(Bucket=taken)
    assert error_code(c.call_json, "CreateExportTask", {**base, "CosBucket": taken, "IsCreateNewBucket": True}) \
        == "InvalidParameterValue.BucketIsAlready"
    assert error_code(c.call_json, "CreateExportTask", {**base, "CosBucket": taken, "StorageType": "cls"}) \
        == "InvalidParameterValue.StorageTypeValueError"
    assert error_code(c.call_json, "CreateExportTask", {**base, "CosBucket": "nowhere"}) == "ResourceNotFound"
    assert error_code(c.call_json, "CreateExportTask", {**base, "CosBucket": "x-1259999999"}) \
        == "InvalidParameterValue"
    assert error_code(c.call_json, "CreateExportTask", {**base, "CosBucket": taken, "FileType": "XML"}) \
        == "InvalidParameterValue"
    assert error_code(c.call_json, "CreateExportTask", {**base, "CosBucket": taken, "Language": "fr"}) \
        == "InvalidParameterValue"
    assert error_code(c.call_json, "CreateExportTask", {"StartTime": start, "CosBucket": taken}) == "MissingParameter"
    assert c.call_json("DescribeExportTasks", {})["Response"]["TotalCount"] == 0   # nothing half-created


def test_another_account_cannot_see_or_export_into_your_bucket(made_calls, client_for):
    acct, start, end, _ = made_calls
    mine = client_for(acct)
    created = mine.call_json("CreateExportTask", {"StartTime": start, "EndTime": end, "CosBucket": "private",
                                                  "IsCreateNewBucket": True})["Response"]
    stranger = new_account()
    theirs = client_for(stranger)
    assert theirs.call_json("DescribeExportTasks", {})["Response"]["TotalCount"] == 0
    assert error_code(theirs.call_json, "DescribeExportTasks", {"Id": created["Id"]}) == "ResourceNotFound"
    assert error_code(theirs.call_json, "CreateExportTask", {"StartTime": start, "EndTime": end,
                                                             "CosBucket": created["CosBucket"]}) \
        == "InvalidParameterValue"
    assert error_code(theirs.call_json, "CreateExportTask", {"StartTime": start, "EndTime": end,
                                                             "CosBucket": "x", "OwnerUin": acct["OwnerUin"]}) \
        == "UnauthorizedOperation"
