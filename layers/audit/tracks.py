"""CloudAudit tracks (跟踪集, cloudaudit 2019-03-19): which of an account's events are delivered where.

Table <prefix>-audit-tracks (GZ_AUDIT_TRACK_TABLE):
    pk "TRACK#<account>", sk "<TrackId, 20 digits>"   the track
    pk "NAME#<account>",  sk "<Name>"                 Name -> TrackId (a name is unique per account)
    pk "META#<account>",  sk "meta"                   NextId (ids from 1, never reused), Count (<= TRACK_LIMIT)
The 2019 "audit" actions (ListAudits, DescribeAudit, UpdateAudit, StartLogging, StopLogging) are views of the
same tracks: AuditName == Name.

Where the Tencent storage maps (the one place; docs/cloudaudit.md "Tracks" says the same):
    COS bucket  <StorageName>-<AppId> in StorageRegion  ->  the S3 bucket of that very name in the AWS region
                that backs StorageRegion (layers/regions.py), as CreateExportTask does (exports.bucket_name).
                The AppId is always the track owner's: no track points into another account's bucket.
    CMQ queue   <CmqQueueName> in CmqRegion (UpdateAudit's notify)  ->  SQS queue <CmqQueueName>-<AppId>
    CKafka      StorageName "<instance>/<topic>"  ->  SQS queue <instance>-<topic>-<AppId> (sanitised), the
                track's `queue`; such a track has no bucket.
    CLS         cannot map (there is no log service here): refused with
                FailedOperation.CheckClsTopicIsExistFailed (no CLS topic can exist).
Encryption: kms_key_id is a CMK of the owner in our own KMS (layers/kms), in kms_region.
"""
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from layers import aws
from layers.audit.config import audit_settings
from layers.gateway.errors import ApiError
from layers.regions import aws_region
from layers.stores import dynamo

TRACK_LIMIT = 5                 # tracks per account (AWS CloudTrail and Tencent CloudAudit both say 5)
LOGGING, STOPPED = 1, 0
GZIP, PLAIN = 1, 2              # Storage.Compress
_lock = threading.Lock()


@dataclass
class Track:
    account: str
    track_id: int
    name: str
    status: int = LOGGING
    action_type: str = "*"
    resource_type: str = "*"
    event_names: List[str] = field(default_factory=lambda: ["*"])
    filters: Optional[dict] = None
    storage: dict = field(default_factory=dict)
    kms_key_id: str = ""
    queue: Optional[dict] = None
    created: str = ""
    delivery: dict = field(default_factory=dict)
    kms_region: str = ""
    track_for_all_members: int = 0
    export_id: str = ""

    @property
    def storage_type(self) -> str:
        return (self.storage.get("StorageType") or "cos").lower()


class NameTaken(Exception):
    pass


class LimitReached(Exception):
    pass


# ---- keys and items ----
def _table() -> str:
    return audit_settings().track_table


def _key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _sk(track_id: int) -> str:
    return f"{int(track_id):020d}"


_FIELDS = {  # attribute name -> Track field
    "Account": "account", "TrackId": "track_id", "Name": "name", "Status": "status", "ActionType": "action_type",
    "ResourceType": "resource_type", "EventNames": "event_names", "Filters": "filters", "Storage": "storage",
    "KmsKeyId": "kms_key_id", "KmsRegion": "kms_region", "Queue": "queue", "CreateTime": "created",
    "Delivery": "delivery", "TrackForAllMembers": "track_for_all_members", "ExportId": "export_id",
}


def _to_item(track: Track) -> dict:
    item = _key(f"TRACK#{track.account}", _sk(track.track_id))
    for attr, name in _FIELDS.items():
        value = getattr(track, name)
        if value is not None:
            item[attr] = dynamo.serializer.serialize(value)
    return item


def _from_item(item: dict) -> Track:
    doc = dynamo.from_item(item)
    return Track(**{name: doc[attr] for attr, name in _FIELDS.items() if attr in doc})


def not_found(what) -> ApiError:
    return ApiError("ResourceNotFound.AuditNotExist", f"The track `{what}` does not exist.")


# ---- reads ----
def get(account: str, track_id: int) -> Track:
    """The account's track; ResourceNotFound.AuditNotExist when absent (or another account's)."""
    try:
        sk = _sk(track_id)
    except (TypeError, ValueError):
        raise not_found(track_id) from None
    item = aws.client("dynamodb").get_item(TableName=_table(), Key=_key(f"TRACK#{account}", sk),
                                           ConsistentRead=True).get("Item")
    if not item:
        raise not_found(track_id)
    return _from_item(item)


def by_name(account: str, name: str) -> Track:
    item = aws.client("dynamodb").get_item(TableName=_table(), Key=_key(f"NAME#{account}", name),
                                           ConsistentRead=True).get("Item")
    if not item:
        raise not_found(name)
    return get(account, int(item["TrackId"]["N"]))


def list_tracks(account: str) -> List[Track]:
    """The account's tracks, by TrackId."""
    return [_from_item(i) for i in _query(account)]


def _query(account: str) -> List[dict]:
    ddb, items, start = aws.client("dynamodb"), [], None
    while True:
        kwargs = dict(TableName=_table(), KeyConditionExpression="pk = :pk", ConsistentRead=True,
                      ExpressionAttributeValues={":pk": {"S": f"TRACK#{account}"}})
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = ddb.query(**kwargs)
        items.extend(resp.get("Items", []))
        start = resp.get("LastEvaluatedKey")
        if not start:
            return items


def active(account: Optional[str] = None) -> List[Track]:
    """Tracks with status 1 (logging): of one account, or of every account when None."""
    if account is not None:
        return [t for t in list_tracks(account) if t.status == LOGGING]
    ddb, out, start = aws.client("dynamodb"), [], None
    while True:
        kwargs = dict(TableName=_table(), FilterExpression="begins_with(pk, :p) AND #s = :on",
                      ExpressionAttributeNames={"#s": "Status"},
                      ExpressionAttributeValues={":p": {"S": "TRACK#"}, ":on": {"N": str(LOGGING)}})
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = ddb.scan(**kwargs)
        out.extend(_from_item(i) for i in resp.get("Items", []))
        start = resp.get("LastEvaluatedKey")
        if not start:
            return sorted(out, key=lambda t: (t.account, t.track_id))


def count(account: str) -> int:
    item = aws.client("dynamodb").get_item(TableName=_table(), Key=_key(f"META#{account}", "meta"),
                                           ConsistentRead=True).get("Item") or {}
    return int(item.get("Count", {}).get("N", "0"))


def remaining(account: str) -> int:
    """How many more tracks the account may create (InquireAuditCredit)."""
    return max(0, TRACK_LIMIT - count(account))


# ---- writes ----
def _next_id(account: str) -> int:
    resp = aws.client("dynamodb").update_item(
        TableName=_table(), Key=_key(f"META#{account}", "meta"), UpdateExpression="ADD NextId :one",
        ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")
    return int(resp["Attributes"]["NextId"]["N"])


def _count_change(account: str, delta: int, limit: int = 0) -> dict:
    update = {"TableName": _table(), "Key": _key(f"META#{account}", "meta"), "UpdateExpression": "ADD #c :d",
              "ExpressionAttributeNames": {"#c": "Count"}, "ExpressionAttributeValues": {":d": {"N": str(delta)}}}
    if limit:
        update["ConditionExpression"] = "attribute_not_exists(#c) OR #c < :limit"
        update["ExpressionAttributeValues"][":limit"] = {"N": str(limit)}
    return {"Update": update}


def now_text() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())


def create(track: Track) -> Track:
    """Store a new track (its track_id and created are assigned); NameTaken / LimitReached."""
    if count(track.account) >= TRACK_LIMIT:
        raise LimitReached()
    track.track_id = _next_id(track.account)
    track.created = track.created or now_text()
    track.delivery = track.delivery or {}
    items = [_count_change(track.account, 1, TRACK_LIMIT),
             {"Put": {"TableName": _table(), "ConditionExpression": "attribute_not_exists(pk)",
                      "Item": {**_key(f"NAME#{track.account}", track.name), "TrackId": {"N": str(track.track_id)}}}},
             {"Put": {"TableName": _table(), "ConditionExpression": "attribute_not_exists(pk)",
                      "Item": _to_item(track)}}]
    codes = dynamo.transact(aws.client("dynamodb"), _lock, items)
    if codes is None:
        return track
    if dynamo.failed(codes, 0):
        raise LimitReached()
    raise NameTaken()


def save(track: Track) -> None:
    """Replace a track's settings (its name is fixed: AuditTrackNameNotSupportModify); the delivery
    status written meanwhile by delivery is kept."""
    item = _to_item(track)
    item.pop("Delivery", None)
    names, values, sets = {}, {}, []
    for i, (attr, value) in enumerate((k, v) for k, v in item.items() if k not in ("pk", "sk")):
        names[f"#a{i}"], values[f":v{i}"] = attr, value
        sets.append(f"#a{i} = :v{i}")
    removes = [a for a, n in _FIELDS.items() if getattr(track, n) is None]
    for j, attr in enumerate(removes):
        names[f"#r{j}"] = attr
    expr = "SET " + ", ".join(sets) + ((" REMOVE " + ", ".join(f"#r{j}" for j in range(len(removes)))) if removes else "")
    ddb = aws.client("dynamodb")
    try:
        ddb.update_item(TableName=_table(), Key=_key(f"TRACK#{track.account}", _sk(track.track_id)),
                        UpdateExpression=expr, ConditionExpression="attribute_exists(pk)",
                        ExpressionAttributeNames=names, ExpressionAttributeValues=values)
    except ddb.exceptions.ConditionalCheckFailedException:
        raise not_found(track.track_id) from None


def set_status(account: str, track_id: int, status: int) -> None:
    ddb = aws.client("dynamodb")
    try:
        ddb.update_item(TableName=_table(), Key=_key(f"TRACK#{account}", _sk(track_id)),
                        UpdateExpression="SET #s = :s", ConditionExpression="attribute_exists(pk)",
                        ExpressionAttributeNames={"#s": "Status"}, ExpressionAttributeValues={":s": {"N": str(status)}})
    except ddb.exceptions.ConditionalCheckFailedException:
        raise not_found(track_id) from None


def delete(account: str, track_id: int) -> None:
    track = get(account, track_id)
    items = [{"Delete": {"TableName": _table(), "Key": _key(f"TRACK#{account}", _sk(track_id)),
                         "ConditionExpression": "attribute_exists(pk)"}},
             {"Delete": {"TableName": _table(), "Key": _key(f"NAME#{account}", track.name)}},
             _count_change(account, -1)]
    if dynamo.transact(aws.client("dynamodb"), _lock, items) is not None:
        raise not_found(track_id)


def report_delivery(account: str, track_id: int, **status) -> None:
    """Merge delivery status (LastDeliveryTime, LastError, LastErrorTime, Pending, ...) into the track.
    A track deleted meanwhile is left deleted."""
    if not status:
        return
    names, values, sets = {"#d": "Delivery"}, {}, []
    for i, (k, v) in enumerate(status.items()):
        names[f"#k{i}"], values[f":v{i}"] = k, dynamo.serializer.serialize(v)
        sets.append(f"#d.#k{i} = :v{i}")
    ddb = aws.client("dynamodb")
    try:
        ddb.update_item(TableName=_table(), Key=_key(f"TRACK#{account}", _sk(track_id)),
                        UpdateExpression="SET " + ", ".join(sets), ConditionExpression="attribute_exists(pk)",
                        ExpressionAttributeNames=names, ExpressionAttributeValues=values)
    except ddb.exceptions.ConditionalCheckFailedException:
        pass


# ---- matching ----
def _field_matches(resource_type: str, action_type: str, event_names: List[str], event: dict) -> bool:
    if action_type and action_type != "*":
        kind = event.get("ActionType") or ("Read" if event.get("ReadOnly") else "Write")
        if kind.lower() != action_type.lower():
            return False
    if resource_type and resource_type != "*":
        wanted = resource_type.lower()
        have = {str(event.get(k) or "").lower() for k in ("Service", "ResourceType")}
        if wanted not in have:
            return False
    names = event_names or ["*"]
    return "*" in names or event.get("EventName") in names


def matches(track: Track, event: dict) -> bool:
    """Whether the (stored) audit event is one this track delivers: the owner's own events, of the
    track's ActionType (Read/Write/*), product (event Service or ResourceType, or *) and EventNames;
    with CreateEventsAuditTrack's Filters, any one ResourceField matching is enough."""
    if str(event.get("AccountId") or "") != track.account:
        return False
    fields = (track.filters or {}).get("ResourceFields") if track.filters else None
    if fields:
        return any(_field_matches(f.get("ResourceType") or "*", f.get("ActionType") or "*",
                                  f.get("EventNames") or ["*"], event) for f in fields)
    return _field_matches(track.resource_type, track.action_type, track.event_names, event)


# ---- where it goes ----
_SQS_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def bucket_of(track: Track) -> str:
    """The S3 bucket of a cos track: `<StorageName>-<AppId>`, the same name as the COS bucket
    (exports.bucket_name); "" for a track that does not deliver to a bucket (ckafka)."""
    if track.storage_type != "cos":
        return ""
    from layers.audit.exports import bucket_name
    return bucket_name(track.storage.get("StorageName", ""), track.storage.get("StorageAppId", ""))


def bucket_region(track: Track) -> str:
    """The AWS region of the track's bucket (StorageRegion mapped by layers/regions.py)."""
    return aws_region(track.storage.get("StorageRegion") or None)


def sqs_queue_name(name: str, app_id: str) -> str:
    """The SQS queue a CMQ queue (or a CKafka instance/topic) maps to: `<name>-<AppId>`, at most 80 chars."""
    base = _SQS_UNSAFE.sub("-", name).strip("-")[: 80 - len(app_id) - 1]
    return f"{base}-{app_id}" if app_id else base


def queue_of(track: Track) -> Optional[Tuple[str, str]]:
    """(AWS region, SQS queue name) events are also published to, or None: UpdateAudit's CMQ notify
    queue, or the queue a ckafka storage maps to."""
    q = track.queue
    if not q or not q.get("name"):
        return None
    return aws_region(q.get("region") or None), sqs_queue_name(q["name"], track.storage.get("StorageAppId", ""))


def prefix_of(track: Track) -> str:
    return track.storage.get("StoragePrefix") or ""


def compressed(track: Track) -> bool:
    return int(track.storage.get("Compress") or GZIP) == GZIP


def kms_of(track: Track) -> Optional[Tuple[str, str]]:
    """(Tencent region, KeyId) of the owner's CMK that encrypts delivered files, or None."""
    if not track.kms_key_id:
        return None
    return track.kms_region or track.storage.get("StorageRegion") or "", track.kms_key_id


def delivery_view(track: Track) -> Dict[str, object]:
    return dict(track.delivery or {})
