"""Export tasks: JSON and CSV (zh/en headers), the caller's own buckets, and a streaming worker
whose memory does not grow with the number of events."""
import csv
import io
import json
import tracemalloc

import pytest

from ca_support import make_event, new_account, now_ms
from layers import aws
from layers.audit import exports
from layers.audit.indexer import Indexer, Message
from layers.search.default import default_store
from layers.search.query import Hit, Result
from layers.gateway.errors import ApiError


def _task(account, start, end, bucket, file_type="JSON", language="zh", attributes=(), content=""):
    task_id = exports.create_task(exports.NewTask(
        creator_account=account, owner_uin=account, sub_account_uin=account, start_ms=start, end_ms=end,
        attributes=list(attributes), lookup_type="keyValue", content_value=content, cos_bucket=bucket,
        cos_region="ap-guangzhou", aws_region="us-east-1", storage_type="cos", file_type=file_type,
        language=language))
    return task_id


@pytest.fixture
def history(stack):
    account, t = new_account(), now_ms() - 60_000
    events = [make_event(account, t + i, action="DescribeVsms" if i % 2 else "TerminateVsm",
                         params={"Name": f"实例{i}"}) for i in range(30)]
    out = Indexer(default_store()).process([Message(str(i), json.dumps(e)) for i, e in enumerate(events)])
    assert not out.failed
    bucket = f"exports-{account}"
    aws.client("s3").create_bucket(Bucket=bucket)
    return account, t, events, bucket


def _object(bucket, task):
    return aws.client("s3").get_object(Bucket=bucket, Key=task["ObjectKey"])["Body"].read()


def test_json_export_holds_every_matching_event_newest_first(history):
    account, t, events, bucket = history
    task_id = _task(account, t, t + 100, bucket, attributes=[("EventName", "TerminateVsm")])
    assert exports.run(account, task_id, default_store()) == exports.SUCCESS
    task = exports.get_task(account, task_id)
    body = _object(bucket, task)
    assert task["FileSize"] == len(body) and task["Status"] == "success"
    rows = json.loads(body)
    expected = [e for e in events if e["EventName"] == "TerminateVsm"]
    assert [r["eventID"] for r in rows] == [e["EventId"] for e in sorted(expected, key=lambda e: -e["EventTime"])]
    assert rows[0]["requestParameters"]["Name"].startswith("实例") and rows[0]["userIdentity"]["accountId"] == account
    # A redelivered message finds the task finished and leaves it alone.
    assert exports.run(account, task_id, default_store()) == exports.SUCCESS


@pytest.mark.parametrize("language,first_header", [("zh", "事件时间"), ("en", "EventTime")])
def test_csv_export_has_headers_in_the_requested_language(history, language, first_header):
    account, t, events, bucket = history
    task_id = _task(account, t, t + 100, bucket, file_type="CSV", language=language, content="实例7")
    exports.run(account, task_id, default_store())
    body = _object(bucket, exports.get_task(account, task_id))
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == first_header and len(rows) == 2
    assert rows[1][rows[0].index("事件ID" if language == "zh" else "EventId")] == events[7]["EventId"]


def test_buckets_are_the_callers_own(stack):
    assert exports.bucket_name("audit-logs", "1250000001") == "audit-logs-1250000001"
    assert exports.bucket_name("audit-logs-1250000001", "1250000001") == "audit-logs-1250000001"
    for bad in ("audit-logs-1250000002", "Audit", "-x", "a" * 41, "under_score", "guardzone-archive-"):
        with pytest.raises(ApiError) as err:
            exports.bucket_name(bad, "1250000001")
        assert err.value.code == "InvalidParameterValue"
    with pytest.raises(ApiError) as err:
        exports.check_storage_type("cls")
    assert err.value.code == "InvalidParameterValue.StorageTypeValueError"
    name = f"fresh-{new_account()}-1250000001"
    exports.prepare_bucket(name, "us-east-1", create=True)
    with pytest.raises(ApiError) as err:
        exports.prepare_bucket(name, "us-east-1", create=True)
    assert err.value.code == "InvalidParameterValue.BucketIsAlready"
    exports.prepare_bucket(name, "us-east-1", create=False)
    with pytest.raises(ApiError) as err:
        exports.prepare_bucket(f"missing-{new_account()}", "us-east-1", create=False)
    assert err.value.code == "ResourceNotFound"


class SyntheticStore:
    """Serves `total` events for any search, page by page, without holding them."""

    def __init__(self, account: str, total: int, t0: int) -> None:
        self.account, self.total, self.t0 = account, total, t0
        self.largest_page = 0
        self.template = make_event(account, t0, params={"Blob": "x" * 1000})

    def search(self, search):
        self.largest_page = max(self.largest_page, search.size)
        top = self.total if search.after is None else int(search.after[1].split("-")[1])
        hits = []
        for n in range(top - 1, max(-1, top - 1 - search.size), -1):
            e = {**self.template, "EventId": f"e-{n:09d}"}
            hits.append(Hit(self.t0, e["EventId"], json.dumps(e)))
        return Result(hits)


def test_the_worker_streams_in_bounded_memory(stack, monkeypatch):
    part = 5 * 1024 * 1024
    monkeypatch.setenv("GZ_AUDIT_EXPORT_PAGE_SIZE", "500")
    monkeypatch.setenv("GZ_AUDIT_EXPORT_PART_BYTES", str(part))
    from layers.audit.config import reload_audit_settings
    reload_audit_settings()
    account = new_account()
    bucket = f"exports-big-{account}"
    aws.client("s3").create_bucket(Bucket=bucket)
    store = SyntheticStore(account, 16_000, now_ms() - 1000)
    task_id = _task(account, store.t0 - 10, store.t0 + 10, bucket)
    tracemalloc.start()
    try:
        assert exports.run(account, task_id, store) == exports.SUCCESS
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        monkeypatch.delenv("GZ_AUDIT_EXPORT_PAGE_SIZE")
        monkeypatch.delenv("GZ_AUDIT_EXPORT_PART_BYTES")
        reload_audit_settings()
    task = exports.get_task(account, task_id)
    assert task["FileSize"] > 5 * part                        # several multipart parts
    assert store.largest_page == 500
    assert peak < 3 * part                                     # about one part plus one page, not the file
    head = aws.client("s3").get_object(Bucket=bucket, Key=task["ObjectKey"], Range="bytes=0-200")["Body"].read()
    assert head.startswith(b"[\n{")
