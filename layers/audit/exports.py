"""Export tasks (the console's 历史记录导出): a task row in DynamoDB, a message on the export
queue, and a worker that streams the matching events into an object in the caller's bucket.

Table <prefix>-audit-exports:  pk = "EXPORT#<account that created it>", sk = task Id.
Buckets are the caller's own: `<name>-<AppId>`, as COS names them, so no account can write
into another account's bucket (or into the service's own buckets).
The worker pages through the store (search_after, GZ_AUDIT_EXPORT_PAGE_SIZE events at a time)
and uploads in multipart parts of GZ_AUDIT_EXPORT_PART_BYTES: memory stays bounded by one page
plus one part, whatever the number of events.
"""
import codecs
import csv
import io
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, List, Optional, Tuple

from layers import aws, logs
from layers.audit.config import audit_settings
from layers.audit.query import Query, Scanner
from layers.search.store import SearchStore, StoreUnavailable
from layers.audit.views import cloud_audit_event, csv_header, csv_row
from layers.gateway.errors import ApiError, invalid_value, not_found

log = logging.getLogger("guardzone.audit.export")

PENDING, RUNNING, SUCCESS, FAILED = "pending", "running", "success", "failed"
FILE_TYPES = {"json": "JSON", "csv": "CSV"}
STORAGE_TYPES = ("cos",)
LANGUAGES = ("zh", "en")
_BUCKET_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
MAX_ATTEMPTS = 3


@lru_cache(maxsize=1)
def _types():
    """(serializer, deserializer): boto3 is imported when first needed, not at start (cold start)."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    return TypeSerializer(), TypeDeserializer()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _table() -> str:
    return audit_settings().export_table


def _pk(account: str) -> str:
    return f"EXPORT#{account}"


def _item(values: dict) -> dict:
    return {k: _types()[0].serialize(v) for k, v in values.items() if v is not None}


def _plain(item: dict) -> dict:
    out = {k: _types()[1].deserialize(v) for k, v in item.items()}
    return {k: (int(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, (bool, float)) else v)
            for k, v in out.items()}


# ---- parameters ----
def bucket_name(name: str, app_id: str) -> str:
    """COS bucket `<name>-<AppId>`: the AppId suffix is added if missing, and must be the caller's."""
    base = name
    suffix = f"-{app_id}"
    if app_id and name.endswith(suffix):
        base = name[: -len(suffix)]
    elif re.search(r"-\d{10}$", name):
        raise invalid_value("CosBucket", "the bucket belongs to another account (its AppId suffix is not yours)")
    if not _BUCKET_NAME.match(base):
        raise invalid_value("CosBucket", "use lowercase letters, digits and '-' (at most 40, not starting "
                            "or ending with '-')")
    return f"{base}{suffix}" if app_id else base


def normalized_file_type(value: str) -> str:
    ft = FILE_TYPES.get((value or "json").lower())
    if not ft:
        raise invalid_value("FileType", "must be JSON or CSV")
    return ft


def normalized_language(value: str, ctx_language: str) -> str:
    lang = (value or ("en" if ctx_language.lower().startswith("en") else "zh")).lower()
    lang = {"zh-cn": "zh", "en-us": "en"}.get(lang, lang)
    if lang not in LANGUAGES:
        raise invalid_value("Language", "must be zh or en")
    return lang


def check_storage_type(value: str) -> str:
    st = (value or "cos").lower()
    if st not in STORAGE_TYPES:
        raise ApiError("InvalidParameterValue.StorageTypeValueError",
                       f"The storage type `{value}` is not supported: use cos.")
    return st


def prepare_bucket(bucket: str, aws_region_name: str, create: bool) -> None:
    s3 = aws.client("s3", aws_region_name=aws_region_name)
    exists = _bucket_exists(s3, bucket)
    if create:
        if exists:
            raise ApiError("InvalidParameterValue.BucketIsAlready",
                           f"The bucket `{bucket}` already exists; export into it with IsCreateNewBucket=false.")
        try:
            if aws_region_name == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": aws_region_name})
        except (s3.exceptions.BucketAlreadyExists, s3.exceptions.BucketAlreadyOwnedByYou):
            raise ApiError("InvalidParameterValue.BucketIsAlready", f"The bucket `{bucket}` already exists.") from None
    elif not exists:
        raise not_found("Bucket", bucket)


def _bucket_exists(s3, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
        return True
    except s3.exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise


# ---- tasks ----
@dataclass
class NewTask:
    creator_account: str
    owner_uin: str
    sub_account_uin: str
    start_ms: int
    end_ms: int
    attributes: List[Tuple[str, str]]
    lookup_type: str
    content_value: str
    cos_bucket: str
    cos_region: str
    aws_region: str
    storage_type: str
    file_type: str
    language: str


def create_task(t: NewTask) -> str:
    now = _now_ms()
    task_id = f"export-{now:013d}-{secrets.token_hex(4)}"
    ext = t.file_type.lower()
    aws.client("dynamodb").put_item(TableName=_table(), ConditionExpression="attribute_not_exists(pk)", Item=_item({
        "pk": _pk(t.creator_account), "sk": task_id, "Id": task_id, "OwnerUin": t.owner_uin,
        "SubAccountUin": t.sub_account_uin, "CosBucket": t.cos_bucket, "CosRegion": t.cos_region,
        "AwsRegion": t.aws_region, "ObjectKey": f"cloudaudit-export/{task_id}.{ext}", "Status": PENDING,
        "StartTime": t.start_ms, "EndTime": t.end_ms, "CreateTime": now, "UpdateTime": now, "FileSize": 0,
        "StorageType": t.storage_type, "FileType": t.file_type, "Language": t.language,
        "Attributes": json.dumps(t.attributes, ensure_ascii=False), "LookupType": t.lookup_type,
        "ContentValue": t.content_value, "Attempts": 0,
    }))
    return task_id


def enqueue(creator_account: str, task_id: str) -> None:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=audit_settings().export_queue)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"Account": creator_account, "Id": task_id}))


def get_task(creator_account: str, task_id: str) -> Optional[dict]:
    item = aws.client("dynamodb").get_item(TableName=_table(), Key=_item({"pk": _pk(creator_account), "sk": task_id}),
                                           ConsistentRead=True).get("Item")
    return _plain(item) if item else None


def list_tasks(creator_account: str, offset: int, limit: int) -> Tuple[int, List[dict]]:
    """Newest first."""
    ddb = aws.client("dynamodb")
    items, start = [], None
    while True:
        kwargs = dict(TableName=_table(), KeyConditionExpression="pk = :pk",
                      ExpressionAttributeValues={":pk": {"S": _pk(creator_account)}}, ScanIndexForward=False)
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = ddb.query(**kwargs)
        items.extend(resp.get("Items", []))
        start = resp.get("LastEvaluatedKey")
        if not start:
            break
    return len(items), [_plain(i) for i in items[offset:offset + limit]]


def export_list_item(task: dict) -> dict:
    """The seed's `ExportList` structure."""
    return {k: task.get(k, d) for k, d in (
        ("Id", ""), ("OwnerUin", ""), ("CosBucket", ""), ("CosRegion", ""), ("Status", ""), ("StartTime", 0),
        ("EndTime", 0), ("CreateTime", 0), ("UpdateTime", 0), ("SubAccountUin", ""), ("FileSize", 0),
        ("StorageType", ""), ("FileType", ""), ("Language", ""))}


def _update(task: dict, status: str, *, expect: Tuple[str, ...], **values) -> bool:
    names = {"#s": "Status"}
    sets = ["#s = :s", "UpdateTime = :u"]
    vals = {":s": status, ":u": _now_ms()}
    for i, (k, v) in enumerate(values.items()):
        names[f"#k{i}"] = k
        sets.append(f"#k{i} = :v{i}")
        vals[f":v{i}"] = v
    cond_vals = {f":e{i}": e for i, e in enumerate(expect)}
    ddb = aws.client("dynamodb")
    try:
        ddb.update_item(TableName=_table(), Key=_item({"pk": task["pk"], "sk": task["sk"]}),
                        UpdateExpression="SET " + ", ".join(sets),
                        ConditionExpression="#s IN (" + ", ".join(cond_vals) + ")",
                        ExpressionAttributeNames=names,
                        ExpressionAttributeValues={k: _types()[0].serialize(v) for k, v in {**vals, **cond_vals}.items()})
        return True
    except ddb.exceptions.ConditionalCheckFailedException:
        return False


# ---- the worker ----
class MultipartWriter:
    """Bytes -> one S3 object, uploaded in parts as they fill; a small object is one PUT."""

    def __init__(self, s3, bucket: str, key: str, content_type: str, part_bytes: int) -> None:
        self.s3, self.bucket, self.key, self.content_type = s3, bucket, key, content_type
        self.part_bytes = part_bytes
        self.buf = bytearray()
        self.parts: List[dict] = []
        self.upload_id: Optional[str] = None
        self.size = 0

    def write(self, data: bytes) -> None:
        self.buf += data
        self.size += len(data)
        if len(self.buf) >= self.part_bytes:
            self._flush()

    def _flush(self) -> None:
        if self.upload_id is None:
            self.upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=self.key,
                                                             ContentType=self.content_type)["UploadId"]
        n = len(self.parts) + 1
        etag = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=n,
                                   Body=self.buf)["ETag"]
        self.parts.append({"PartNumber": n, "ETag": etag})
        self.buf = bytearray()

    def close(self) -> int:
        if self.upload_id is None:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=self.buf, ContentType=self.content_type)
        else:
            if self.buf:
                self._flush()
            self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                              MultipartUpload={"Parts": self.parts})
        self.buf = bytearray()
        return self.size

    def abort(self) -> None:
        if self.upload_id is not None:
            try:
                self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
            except Exception:
                log.warning("could not abort multipart upload of %s/%s", self.bucket, self.key)


def encode_json(events: Iterable[dict]) -> Iterator[bytes]:
    """A JSON array of the events' full "查看事件" objects, one per line."""
    yield b"["
    first = True
    for e in events:
        yield (b"\n" if first else b",\n") + json.dumps(cloud_audit_event(e), ensure_ascii=False,
                                                         separators=(",", ":")).encode("utf-8")
        first = False
    yield b"\n]\n"


def encode_csv(events: Iterable[dict], language: str) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (spreadsheets then read the Chinese right)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(csv_header(language))
    yield codecs.BOM_UTF8 + text.getvalue().encode("utf-8")
    for e in events:
        text.seek(0)
        text.truncate()
        writer.writerow(csv_row(e))
        yield text.getvalue().encode("utf-8")


def query_of(task: dict) -> Query:
    attributes = [tuple(a) for a in json.loads(task.get("Attributes") or "[]")]
    return Query.of(task["OwnerUin"], int(task["StartTime"]), int(task["EndTime"]), attributes,
                    task.get("LookupType") or "keyValue", task.get("ContentValue") or "")


def run(creator_account: str, task_id: str, store: SearchStore, *, receive_count: int = 1) -> Optional[str]:
    """Run one export task; returns its final status (None if it does not exist). Raises
    StoreUnavailable to have the message retried while attempts remain."""
    task = get_task(creator_account, task_id)
    if task is None:
        log.error("export task %s of %s does not exist", task_id, creator_account)
        return None
    if task["Status"] in (SUCCESS, FAILED):
        return task["Status"]  # a redelivered message: the task already finished
    if not _update(task, RUNNING, expect=(PENDING, RUNNING)):
        return get_task(creator_account, task_id)["Status"]
    s = audit_settings()
    s3 = aws.client("s3", aws_region_name=task.get("AwsRegion") or None)
    content_type = "application/json" if task["FileType"] == "JSON" else "text/csv; charset=utf-8"
    writer = MultipartWriter(s3, task["CosBucket"], task["ObjectKey"], content_type, s.export_part_bytes)
    try:
        events = (f.event for f in Scanner(store).iterate(query_of(task), batch_size=s.export_page_size))
        chunks = encode_json(events) if task["FileType"] == "JSON" else encode_csv(events, task["Language"])
        for chunk in chunks:
            writer.write(chunk)
        size = writer.close()
    except StoreUnavailable as exc:
        writer.abort()
        if receive_count < MAX_ATTEMPTS:
            raise
        _update(task, FAILED, expect=(RUNNING,), Error=f"store unavailable: {exc}")
        return FAILED
    except Exception as exc:
        writer.abort()
        log.error("export task %s failed (%s)", task_id, logs.where(exc))
        _update(task, FAILED, expect=(RUNNING,), Error=f"{type(exc).__name__}: {exc}"[:500])
        return FAILED
    _update(task, SUCCESS, expect=(RUNNING,), FileSize=size)
    return SUCCESS
