"""Track delivery: a track's events, as files in the customer's bucket, each event once per track.

Path (docs/cloudaudit.md "Track delivery"):

    audit queue → audit indexer (stores the batch) → forward(): the stored events of accounts with a
    logging track that matches them, as *sources*, onto the track delivery queue
    → audit_track_delivery (batches of that queue) → deliver(): per track, one file of the batch's
    matching events → claimed in DynamoDB → put into the bucket (and the track's queue)
    schedule audit_track_retry (every minute): files not delivered yet (bucket missing or denied,
    KMS key disabled, queue missing) are tried again

A *source* is a slice of one audit message: `<SHA-256 of the message body, 32 hex>.<part>`, the
message's lines in parts of LINES_PER_PART (the slicing does not depend on which lines are kept, so
a redelivered message gives the same sources). A file is made of whole sources, and its name
carries a digest of their ids, so the same sources always make the same object key.

Exactly once, per track (table <prefix>-audit-track-delivery, GZ_AUDIT_TRACK_DELIVERY_TABLE):

    pk "SRC#<account>#<track>",  sk <source id>   marker: the source is in file <File> (TTL 15 days)
    pk "FILE#<account>#<track>", sk <unique>      the file: Key, Bucket, State pending|queue|delivered,
                                                   Staged (its content in the service's archive bucket),
                                                   DataKeyBlob (KMS), Sha256, Attempts, LastError
    pk "PENDING",                sk "<account>#<track>#<unique>"   files still to deliver (the retry list)
    pk "DONE#<account>#<track>", sk "<delivered ms, 13 digits>#<unique>"   delivered files: what digests list

1. The file's content is staged (archive bucket, `track-staging/`), then claimed: one transaction
   puts the FILE item, its PENDING entry and a marker per source, each only if absent. A source
   already marked is never put into another file (a redelivered message, or a concurrent batch).
2. The object is put (deterministic bytes: gzip without a time stamp, and when encrypted, the same
   data key and nonce for the same file), then one transaction records it delivered and adds its
   DONE entry only if it was still pending. A delivery killed after the put and before that
   commit is finished by the retry (or the redelivered message), writing the same key with the
   same bytes: nothing is listed twice and no event is in two files.
3. When a track has a queue, the events are published after the bucket commit; a crash between
   publishing and recording it publishes that file's events again (at least once: EventId tells
   copies apart; a FIFO queue deduplicates them by MessageDeduplicationId = EventId).
A failure of step 2 or 3 (NoSuchBucket, AccessDenied, a disabled CMK, a missing queue) leaves the
file pending, counted and described on the track (tracks.report_delivery); the message that
brought it is acknowledged, since the file holds its events now.
"""
import base64
import datetime as dt
import gzip
import hashlib
import json
import logging
import threading
import time
import uuid
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from layers import aws
from layers.audit import tracks
from layers.audit.config import audit_settings
from layers.audit.document import BadEvent, parse_event
from layers.audit.views import cloud_audit_event
from layers.gateway.audit_message import BadMessage, lines_of
from layers.regions import DEFAULT_REGION
from layers.stores import dynamo

log = logging.getLogger("guardzone.audit.tracks")

LINES_PER_PART = 50             # lines of an audit message per source
MESSAGE_MAX = 200 * 1024        # a delivery queue message (SQS takes 256 KiB)
SOURCES_PER_FILE = 90           # a claim is one transaction of <= 100 items: file, pending entry, markers
MARKER_SECONDS = 15 * 86400     # past the queues' retention (14 days): a source cannot come back later
PENDING, QUEUE, DELIVERED = "pending", "queue", "delivered"
PACKED = "H4sI"                 # gzip + base64, as audit queue messages (layers/gateway/audit_message.py)
CIPHER = "AES-256-GCM"
_lock = threading.Lock()        # dynamo.transact's process lock for this table
_UTC = dt.timezone.utc


def _table() -> str:
    return audit_settings().track_delivery_table


def _key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def track_key(track: tracks.Track) -> str:
    return f"{track.account}#{int(track.track_id)}"


def _now_ms() -> int:
    return int(time.time() * 1000)


# ---- indexer side: what to forward ----
_active: Tuple[float, Dict[str, list]] = (0.0, {})


def _active_by_account() -> Dict[str, list]:
    """Logging tracks by account, read at most every GZ_AUDIT_TRACK_CACHE_SECONDS (a new track
    receives the events indexed after that)."""
    global _active
    now = time.monotonic()
    expires, found = _active
    if now < expires:
        return found
    by: Dict[str, list] = {}
    for t in tracks.active():
        by.setdefault(t.account, []).append(t)
    _active = (now + audit_settings().track_cache_seconds, by)
    return by


def forget_tracks() -> None:
    """Read the logging tracks again at the next forward (tests, after creating a track)."""
    global _active
    _active = (0.0, {})


def source_parts(body: str) -> List[Tuple[str, List[str]]]:
    """(source id, lines) of an audit message: its lines in parts of LINES_PER_PART."""
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]
    lines = lines_of(body)
    return [(f"{digest}.{i // LINES_PER_PART}", lines[i:i + LINES_PER_PART])
            for i in range(0, len(lines), LINES_PER_PART)]


def _wanted(by_account: Dict[str, list], lines: Sequence[str]) -> List[str]:
    out = []
    for line in lines:
        if not any(a in line for a in by_account):       # cheap: most lines are other accounts'
            continue
        try:
            event = parse_event(line)
        except BadEvent:
            continue
        mine = by_account.get(str(event.get("AccountId")))
        if mine and any(tracks.matches(t, event) for t in mine):
            out.append(line)
    return out


def encode(sources: List[dict]) -> str:
    raw = json.dumps({"v": 1, "Sources": sources}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=1, mtime=0)).decode("ascii")


def decode(body: str) -> List[dict]:
    raw = gzip.decompress(base64.b64decode(body)) if body.startswith(PACKED) else body.encode("utf-8")
    return json.loads(raw).get("Sources") or []


def _bodies(sources: List[dict]) -> List[str]:
    """Delivery messages of at most MESSAGE_MAX holding these sources (halved until they fit; a
    source too large alone is split into halves named <id>a / <id>b)."""
    body = encode(sources)
    if len(body) <= MESSAGE_MAX:
        return [body]
    if len(sources) > 1:
        half = len(sources) // 2
        return _bodies(sources[:half]) + _bodies(sources[half:])
    s = sources[0]
    half = len(s["Lines"]) // 2
    if half == 0:
        log.error("an audit event of %d bytes is too large for the track delivery queue; not delivered", len(body))
        return []
    return _bodies([{"Id": s["Id"] + "a", "Lines": s["Lines"][:half]}]) + \
        _bodies([{"Id": s["Id"] + "b", "Lines": s["Lines"][half:]}])


def forward(messages: Sequence, outcome) -> int:
    """Send the events of the indexer's succeeded messages that a logging track delivers onto the
    track delivery queue; a message whose events could not be sent moves to outcome.transient (it
    comes back, is indexed again idempotently, and forwarded again: sources are deduplicated).
    Returns how many events were forwarded."""
    by_account = _active_by_account()
    if not by_account:
        return 0
    ok = set(outcome.succeeded)
    sources, owners = [], set()
    for m in messages:
        if m.id not in ok:
            continue
        try:
            parts = source_parts(m.body)
        except BadMessage:
            continue
        for sid, lines in parts:
            keep = _wanted(by_account, lines)
            if keep:
                sources.append({"Id": sid, "Lines": keep})
                owners.add(m.id)
    if not sources:
        return 0
    try:
        sqs = aws.client("sqs")
        url = _queue_url(sqs)
        for body in _bodies(sources):
            sqs.send_message(QueueUrl=url, MessageBody=body)
    except Exception as exc:
        log.warning("track delivery queue unavailable (%s); %d audit messages come back", type(exc).__name__,
                    len(owners))
        _queue_urls.clear()
        for mid in owners:
            if mid in outcome.succeeded:
                outcome.succeeded.remove(mid)
                outcome.transient.append(mid)
        return 0
    return sum(len(s["Lines"]) for s in sources)


_queue_urls: Dict[str, str] = {}


def _queue_url(sqs) -> str:
    name = audit_settings().track_delivery_queue
    url = _queue_urls.get(name)
    if url is None:
        url = _queue_urls[name] = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return url


# ---- the files ----
def object_key(track: tracks.Track, first_ms: int, unique: str) -> str:
    """<StoragePrefix>/<account>/CloudAudit/<region>/YYYY/MM/DD/<account>_CloudAudit_<region>_<YYYYMMDDTHHMMZ>_<unique>.json[.gz]
    (the time: the file's first event, UTC)."""
    region = track.storage.get("StorageRegion") or DEFAULT_REGION
    at = dt.datetime.fromtimestamp(first_ms / 1000, tz=_UTC)
    name = f"{track.account}_CloudAudit_{region}_{at:%Y%m%dT%H%MZ}_{unique}.json" + (".gz" if tracks.compressed(track) else "")
    return "/".join(p for p in (tracks.prefix_of(track).strip("/"), track.account, "CloudAudit", region,
                                f"{at:%Y/%m/%d}", name) if p)


def render(events: Iterable[dict]) -> bytes:
    """A file's JSON: {"Records": [event, ...]}, each as LookUpEvents' CloudAuditEvent shows it."""
    return json.dumps({"Records": [cloud_audit_event(e) for e in events]}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _unique(track: tracks.Track, source_ids: Sequence[str]) -> str:
    return hashlib.sha256((track_key(track) + "|" + ",".join(sorted(source_ids))).encode()).hexdigest()[:20]


def _staged_key(track: tracks.Track, unique: str) -> str:
    return f"{audit_settings().track_staging_prefix}/{track.account}/{int(track.track_id)}/{unique}.json.gz"


def _markers(track: tracks.Track, source_ids: List[str]) -> Dict[str, str]:
    """source id -> the file that holds it, for the sources already claimed."""
    ddb, out, pk = aws.client("dynamodb"), {}, f"SRC#{track_key(track)}"
    for i in range(0, len(source_ids), 100):
        request = {_table(): {"Keys": [_key(pk, s) for s in source_ids[i:i + 100]], "ConsistentRead": True,
                              "ProjectionExpression": "sk, #f", "ExpressionAttributeNames": {"#f": "File"}}}
        while request:
            resp = ddb.batch_get_item(RequestItems=request)
            for item in resp.get("Responses", {}).get(_table(), []):
                out[item["sk"]["S"]] = item["File"]["S"]
            request = resp.get("UnprocessedKeys") or None
    return out


def file_doc(track: tracks.Track, unique: str) -> Optional[dict]:
    item = aws.client("dynamodb").get_item(TableName=_table(), Key=_key(f"FILE#{track_key(track)}", unique),
                                           ConsistentRead=True).get("Item")
    return dynamo.from_item(item) | {"Unique": unique} if item else None


def deliver(bodies: Sequence[str]) -> dict:
    """Deliver a batch of track delivery messages. Raises if a file could not be claimed (the batch
    comes back); a file claimed but not delivered stays pending and is retried."""
    sources: Dict[str, List[str]] = {}
    for body in bodies:
        try:
            for s in decode(body):
                sources.setdefault(str(s["Id"]), list(s["Lines"]))
        except (ValueError, KeyError, TypeError, OSError):
            log.error("a track delivery message cannot be read; dropped")
    per_account: Dict[str, List[Tuple[str, dict]]] = {}
    for sid, lines in sources.items():
        for line in lines:
            try:
                event = parse_event(line)
            except BadEvent:
                continue
            per_account.setdefault(str(event["AccountId"]), []).append((sid, event))
    stats = {"files": 0, "events": 0, "pending": 0}
    for account, items in per_account.items():
        for track in tracks.active(account):
            mine: Dict[str, List[dict]] = {}
            for sid, event in items:
                if tracks.matches(track, event):
                    mine.setdefault(sid, []).append(event)
            if mine:
                _deliver_track(track, mine, stats)
    return stats


def _deliver_track(track: tracks.Track, mine: Dict[str, List[dict]], stats: dict) -> None:
    for _ in range(3):
        claimed = _markers(track, sorted(mine))
        for unique in sorted(set(claimed.values())):     # a redelivery: finish what an earlier attempt claimed
            doc = file_doc(track, unique)
            if doc and doc.get("State") != DELIVERED:
                _account(complete(track, doc), stats, doc)
        todo = sorted(s for s in mine if s not in claimed)
        if not todo:
            return
        contended = False
        for i in range(0, len(todo), SOURCES_PER_FILE):
            group = todo[i:i + SOURCES_PER_FILE]
            doc, content = _new_file(track, {s: mine[s] for s in group})
            codes = dynamo.transact(aws.client("dynamodb"), _lock, _claim_items(track, doc, group))
            if codes is not None:
                if dynamo.failed(codes, 0):              # the same sources, claimed before: finish that file
                    doc = file_doc(track, doc["Unique"]) or doc
                    content = None
                else:
                    contended = True                     # some source went into another file meanwhile
                    continue
            if doc.get("State") != DELIVERED:
                _account(complete(track, doc, content), stats, doc)
        if not contended:
            return
    raise RuntimeError(f"track {track_key(track)}: sources kept being claimed by other deliveries")


def _account(ok: bool, stats: dict, doc: dict) -> None:
    if ok:
        stats["files"] += 1
        stats["events"] += int(doc.get("Events", 0))
    else:
        stats["pending"] += 1


def _new_file(track: tracks.Track, groups: Dict[str, List[dict]]) -> Tuple[dict, bytes]:
    by_id: Dict[str, dict] = {}
    for events in groups.values():
        for e in events:
            by_id.setdefault(str(e["EventId"]), e)
    events = sorted(by_id.values(), key=lambda e: (int(e["EventTime"]), str(e["EventId"])))
    unique = _unique(track, list(groups))
    content = render(events)
    staged = _staged_key(track, unique)
    aws.client("s3").put_object(Bucket=audit_settings().archive_bucket, Key=staged,
                                Body=gzip.compress(content, compresslevel=6, mtime=0))
    doc = {"Unique": unique, "Key": object_key(track, int(events[0]["EventTime"]), unique),
           "Bucket": tracks.bucket_of(track), "Staged": staged, "State": PENDING, "Events": len(events),
           "First": int(events[0]["EventTime"]), "Last": int(events[-1]["EventTime"]), "Sources": len(groups),
           "Created": _now_ms(), "Attempts": 0}
    if not doc["Bucket"]:
        doc["State"] = QUEUE
    return doc, content


def _claim_items(track: tracks.Track, doc: dict, source_ids: List[str]) -> List[dict]:
    tk, expires = track_key(track), int(time.time()) + MARKER_SECONDS
    item = _key(f"FILE#{tk}", doc["Unique"])
    item.update({k: dynamo.serializer.serialize(v) for k, v in doc.items() if k != "Unique"})
    new = "attribute_not_exists(pk)"
    items = [{"Put": {"TableName": _table(), "Item": item, "ConditionExpression": new}},
             {"Put": {"TableName": _table(), "Item": {**_key("PENDING", f"{tk}#{doc['Unique']}"),
                                                      "Created": {"N": str(doc["Created"])}}}}]
    for sid in source_ids:
        items.append({"Put": {"TableName": _table(), "ConditionExpression": new, "Item": {
            **_key(f"SRC#{tk}", sid), "File": {"S": doc["Unique"]}, "expires": {"N": str(expires)}}}})
    return items


# ---- completing a file ----
def complete(track: tracks.Track, doc: dict, content: Optional[bytes] = None) -> bool:
    """Put a claimed file into the bucket (and its events onto the track's queue); True when it is
    delivered, False when it stays pending (the error is on the file and the track)."""
    tk = track_key(track)
    try:
        if content is None:
            content = gzip.decompress(aws.client("s3").get_object(
                Bucket=audit_settings().archive_bucket, Key=doc["Staged"])["Body"].read())
        if doc.get("State") == PENDING:
            data, meta = stored_bytes(track, doc, content)
            s3 = aws.client("s3", aws_region_name=tracks.bucket_region(track))
            s3.put_object(Bucket=doc["Bucket"], Key=doc["Key"], Body=data, Metadata=meta,
                          ContentType="application/json",
                          **({"ContentEncoding": "gzip"} if tracks.compressed(track) and not meta else {}))
            _commit_bucket(track, doc, hashlib.sha256(data).hexdigest(), len(data))
        if doc.get("State") == QUEUE:
            if tracks.queue_of(track):
                _publish(track, content)
            _commit_queue(track, doc)
    except Exception as exc:
        _failed(track, doc, exc)
        return False
    aws.client("s3").delete_object(Bucket=audit_settings().archive_bucket, Key=doc["Staged"])
    status = {"LastDeliveryTime": tracks.now_text(), "LastDeliveredKey": doc.get("Key", "")}
    if (track.delivery or {}).get("Pending") or (track.delivery or {}).get("LastError"):
        status["Pending"] = pending_count(tk)
        if not status["Pending"]:
            status["LastError"] = ""
    tracks.report_delivery(track.account, track.track_id, **status)
    return True


def _commit_bucket(track: tracks.Track, doc: dict, sha: str, size: int) -> None:
    tk, now = track_key(track), _now_ms()
    state = QUEUE if tracks.queue_of(track) else DELIVERED
    update = {"Update": {
        "TableName": _table(), "Key": _key(f"FILE#{tk}", doc["Unique"]), "ConditionExpression": "#s = :pending",
        "UpdateExpression": "SET #s = :state, Sha256 = :sha, #size = :size, Delivered = :now",
        "ExpressionAttributeNames": {"#s": "State", "#size": "Size"},
        "ExpressionAttributeValues": {":pending": {"S": PENDING}, ":state": {"S": state}, ":sha": {"S": sha},
                                      ":size": {"N": str(size)}, ":now": {"N": str(now)}}}}
    done = {"Put": {"TableName": _table(), "Item": {
        **_key(f"DONE#{tk}", f"{now:013d}#{doc['Unique']}"), "Key": {"S": doc["Key"]}, "Bucket": {"S": doc["Bucket"]},
        "Sha256": {"S": sha}, "Size": {"N": str(size)}, "Events": {"N": str(doc["Events"])},
        "First": {"N": str(doc["First"])}, "Last": {"N": str(doc["Last"])}}}}
    items = [update, done]
    if state == DELIVERED:
        items.append({"Delete": {"TableName": _table(), "Key": _key("PENDING", f"{tk}#{doc['Unique']}")}})
    codes = dynamo.transact(aws.client("dynamodb"), _lock, items)
    if codes is not None and not dynamo.failed(codes, 0):
        raise RuntimeError(f"recording delivered file {doc['Key']} failed ({codes})")
    # codes[0] failed: another delivery of the same file committed first (it put the same bytes)
    doc["State"], doc["Sha256"] = state, sha


def _commit_queue(track: tracks.Track, doc: dict) -> None:
    tk = track_key(track)
    items = [{"Update": {"TableName": _table(), "Key": _key(f"FILE#{tk}", doc["Unique"]),
                         "UpdateExpression": "SET #s = :d", "ExpressionAttributeNames": {"#s": "State"},
                         "ExpressionAttributeValues": {":d": {"S": DELIVERED}}}},
             {"Delete": {"TableName": _table(), "Key": _key("PENDING", f"{tk}#{doc['Unique']}")}}]
    codes = dynamo.transact(aws.client("dynamodb"), _lock, items)
    if codes is not None:
        raise RuntimeError(f"recording queued file {doc['Key']} failed ({codes})")
    doc["State"] = DELIVERED


def _failed(track: tracks.Track, doc: dict, exc: Exception) -> None:
    why = _describe(exc)
    log.warning("track %s: file %s not delivered yet (%s); retried", track_key(track), doc.get("Key"), why)
    try:
        aws.client("dynamodb").update_item(
            TableName=_table(), Key=_key(f"FILE#{track_key(track)}", doc["Unique"]),
            UpdateExpression="SET LastError = :e, LastErrorTime = :t ADD Attempts :one",
            ExpressionAttributeValues={":e": {"S": why}, ":t": {"N": str(_now_ms())}, ":one": {"N": "1"}})
        tracks.report_delivery(track.account, track.track_id, LastError=why, LastErrorTime=tracks.now_text(),
                               Pending=pending_count(track_key(track)))
    except Exception as again:
        log.warning("track %s: delivery status not recorded (%s)", track_key(track), type(again).__name__)


def _describe(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        err = response["Error"]
        return f"{err.get('Code', '')}: {err.get('Message', '')}".strip(": ")
    code = getattr(exc, "code", "")
    if code:
        return f"{code}: {getattr(exc, 'message', '') or exc}"
    return f"{type(exc).__name__}: {exc}"


def pending_count(tk: str) -> int:
    resp = aws.client("dynamodb").query(
        TableName=_table(), KeyConditionExpression="pk = :p AND begins_with(sk, :t)", Select="COUNT",
        ExpressionAttributeValues={":p": {"S": "PENDING"}, ":t": {"S": f"{tk}#"}}, ConsistentRead=True)
    return int(resp.get("Count", 0))


def _publish(track: tracks.Track, content: bytes) -> None:
    region, name = tracks.queue_of(track)
    sqs = aws.client("sqs", aws_region_name=region)
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    fifo = name.endswith(".fifo")
    records = json.loads(content)["Records"]
    for i in range(0, len(records), 10):
        entries = []
        for j, r in enumerate(records[i:i + 10]):
            entry = {"Id": str(j), "MessageBody": json.dumps(r, ensure_ascii=False, separators=(",", ":"))}
            if fifo:
                entry.update(MessageGroupId=f"track-{track.track_id}", MessageDeduplicationId=r["eventID"])
            entries.append(entry)
        resp = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if resp.get("Failed"):
            raise RuntimeError(f"queue {name} refused events: {resp['Failed'][0].get('Code', '')}")


# ---- encryption (envelope, under the track's CMK in our KMS) ----
def encryption_context(track: tracks.Track) -> str:
    return json.dumps({"CloudAuditTrack": track_key(track).replace("#", "/")}, sort_keys=True, separators=(",", ":"))


def _kms_ctx(account: str, region: str):
    from layers.gateway.action import RequestContext
    return RequestContext(request_id=str(uuid.uuid4()), service="kms", version="2019-01-18", action="Decrypt",
                          region=region, account=account, authenticated=True)


def stored_bytes(track: tracks.Track, doc: dict, content: bytes) -> Tuple[bytes, dict]:
    """The object's bytes and metadata: gzip (Compress 1) or plain, then encrypted when the track
    has a CMK. The same file always gives the same bytes."""
    data = gzip.compress(content, compresslevel=6, mtime=0) if tracks.compressed(track) else content
    kms = tracks.kms_of(track)
    if not kms:
        return data, {}
    from layers.crypto import random_bytes, symmetric
    from layers.kms import ciphertexts, keys, usages
    region, key_id = kms
    ctx = _kms_ctx(track.account, region or DEFAULT_REGION)
    context = encryption_context(track)
    blob = doc.get("DataKeyBlob")
    if not blob:
        key = keys.usable(ctx, key_id, usages.SYMMETRIC, "GenerateDataKey")
        blob = ciphertexts.encrypt(ctx, key, random_bytes(32), context)
        ddb = aws.client("dynamodb")
        try:
            ddb.update_item(TableName=_table(), Key=_key(f"FILE#{track_key(track)}", doc["Unique"]),
                            UpdateExpression="SET DataKeyBlob = :b", ConditionExpression="attribute_not_exists(DataKeyBlob)",
                            ExpressionAttributeValues={":b": {"S": blob}})
        except ddb.exceptions.ConditionalCheckFailedException:
            blob = file_doc(track, doc["Unique"])["DataKeyBlob"]
        doc["DataKeyBlob"] = blob
    key, data_key, _ = ciphertexts.decrypt(ctx, blob, context, "Decrypt")   # a disabled CMK stops delivery here
    keys.require_enabled(key, "GenerateDataKey")                               # (an archived one too)
    nonce = hashlib.sha256(f"{doc['Unique']}|{doc['Key']}".encode()).digest()[:12]
    ct, tag = symmetric.gcm_encrypt("AES", data_key, nonce, data, aad=doc["Key"].encode("utf-8"))
    return ct + tag, {"gz-cipher": CIPHER, "gz-kms-key-id": key.key_id, "gz-kms-region": region or DEFAULT_REGION,
                      "gz-encrypted-data-key": blob, "gz-encryption-context": context,
                      "gz-iv": base64.b64encode(nonce).decode(), "gz-compress": str(1 if tracks.compressed(track) else 2)}


def decrypt_object(body: bytes, metadata: dict, key: str, data_key: bytes) -> bytes:
    """What a customer does after KMS Decrypt of gz-encrypted-data-key: the file's (gzip or JSON) bytes."""
    from layers.crypto import symmetric
    nonce = base64.b64decode(metadata["gz-iv"])
    return symmetric.gcm_decrypt("AES", data_key, nonce, body[:-16], body[-16:], aad=key.encode("utf-8"))


# ---- retrying ----
def retry_pending(limit: int = 1000) -> dict:
    """Try every pending file again (the audit_track_retry schedule). A file of a track deleted
    meanwhile is dropped."""
    ddb, stats, start, seen = aws.client("dynamodb"), {"delivered": 0, "pending": 0, "dropped": 0}, None, 0
    cache: Dict[str, Optional[tracks.Track]] = {}
    while seen < limit:
        kwargs = dict(TableName=_table(), KeyConditionExpression="pk = :p", ConsistentRead=True,
                      ExpressionAttributeValues={":p": {"S": "PENDING"}}, Limit=min(100, limit - seen))
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = ddb.query(**kwargs)
        for item in resp.get("Items", []):
            seen += 1
            account, track_id, unique = item["sk"]["S"].split("#", 2)
            tk = f"{account}#{track_id}"
            if tk not in cache:
                try:
                    cache[tk] = tracks.get(account, int(track_id))
                except Exception as exc:
                    cache[tk] = None if getattr(exc, "code", "").startswith("ResourceNotFound") else False
            track = cache[tk]
            if track is False:
                stats["pending"] += 1
                continue
            doc = file_doc(track, unique) if track else None
            if track is None or doc is None:
                ddb.delete_item(TableName=_table(), Key=_key("PENDING", item["sk"]["S"]))
                stats["dropped"] += 1
                continue
            if doc.get("State") == DELIVERED:
                ddb.delete_item(TableName=_table(), Key=_key("PENDING", item["sk"]["S"]))
                continue
            ok = complete(track, doc)
            stats["delivered" if ok else "pending"] += 1
        start = resp.get("LastEvaluatedKey")
        if not start:
            break
    return stats


def delivered(track: tracks.Track, since_sk: str = "", until_sk: str = "~") -> List[dict]:
    """The DONE entries of a track with since_sk < sk <= until_sk, oldest first."""
    ddb, out, start = aws.client("dynamodb"), [], None
    while True:
        kwargs = dict(TableName=_table(), ConsistentRead=True,
                      KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                      ExpressionAttributeValues={":p": {"S": f"DONE#{track_key(track)}"},
                                                 ":a": {"S": since_sk + "\x00" if since_sk else "0"},
                                                 ":b": {"S": until_sk}})
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = ddb.query(**kwargs)
        out.extend({**dynamo.from_item(i), "sk": i["sk"]["S"]} for i in resp.get("Items", []))
        start = resp.get("LastEvaluatedKey")
        if not start:
            return out
