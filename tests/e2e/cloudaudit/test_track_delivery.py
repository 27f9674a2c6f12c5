"""Track delivery and digests: calls made with the official SDK reach the track's moto bucket as
files (each event once), redelivery and crashes write no duplicate, a missing bucket or a disabled
CMK delays but loses nothing, encrypted files open with KMS Decrypt, the queue copy arrives, and
`guardzone audit verify` checks the signed digest chain and finds an added, a removed and a changed file."""
import base64
import gzip
import json
import time

import pytest
from click.testing import CliRunner

from ca_accounts import new_account
from infra.audit_cli import audit
from infra.pump import Pump
from layers import aws
from layers.audit import track_delivery, track_digest, tracks
from layers.audit.config import audit_settings

REGION = "ap-guangzhou"       # -> us-east-1 (layers/regions.py)


@pytest.fixture
def deliver(stack, index_audit_queue):
    """Index the audit queue, then deliver the track delivery queue, as the local runner does."""
    source = next(s for s in stack.app.event_sources if s.name == "audit_track_delivery")
    pump = Pump(stack.app)

    def run() -> None:
        index_audit_queue()
        while pump.deliver_once(source):
            pass
    run.index = index_audit_queue
    return run


def _bucket(acct, name: str, create: bool = True) -> str:
    bucket = f"{name}-{acct['AppId']}"
    if create:
        aws.client("s3", aws_region_name="us-east-1").create_bucket(Bucket=bucket)
    return bucket


def _track(acct, name: str, storage_name: str, **kw) -> tracks.Track:
    storage = {"StorageType": "cos", "StorageRegion": REGION, "StorageName": storage_name, "StoragePrefix": "trail",
               "StorageAppId": acct["AppId"], "StorageAccountId": acct["OwnerUin"], "Compress": kw.pop("compress", 1)}
    t = tracks.create(tracks.Track(account=acct["OwnerUin"], track_id=0, name=name, storage=storage, **kw))
    track_delivery.forget_tracks()
    return t


def _calls(client_for, acct, n: int = 3) -> list:
    hsm = client_for(acct, "cloudhsm", "2019-11-12")
    return [hsm.call_json("DescribeRegions", {})["Response"]["RequestId"] for _ in range(n)]


def _objects(bucket: str, under: str = "/CloudAudit/") -> dict:
    s3 = aws.client("s3", aws_region_name="us-east-1")
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            if under in o["Key"]:
                out[o["Key"]] = s3.get_object(Bucket=bucket, Key=o["Key"])
    return out


def _records(objects: dict) -> list:
    out = []
    for key, obj in objects.items():
        body = obj["Body"].read()
        out.extend(json.loads(gzip.decompress(body) if key.endswith(".gz") else body)["Records"])
    return out


def _request_ids(records: list) -> list:
    return [r["requestID"] for r in records]


def test_calls_reach_the_bucket_once_each_and_redelivery_writes_no_duplicate(deliver, client_for, monkeypatch):
    acct = new_account()
    bucket = _bucket(acct, "trail")
    track = _track(acct, "all_events", "trail")
    start = time.monotonic()
    ids = _calls(client_for, acct)
    deliver()
    objects = _objects(bucket)
    assert time.monotonic() - start < 60
    assert objects
    for key in objects:
        assert key.startswith(f"trail/{acct['OwnerUin']}/CloudAudit/{REGION}/")
        name = key.rsplit("/", 1)[1]
        assert name.startswith(f"{acct['OwnerUin']}_CloudAudit_{REGION}_") and name.endswith(".json.gz")
    records = _records(objects)
    got = _request_ids(records)
    assert sorted(i for i in got if i in ids) == sorted(ids)          # each call exactly once
    assert len(got) == len(set(got))
    assert all(r["userIdentity"]["accountId"] == acct["OwnerUin"] for r in records)

    # The same sources again (an SQS message delivered twice, the indexer's batch redelivered):
    # nothing new. And a delivery killed between the put and its commit: finished once.
    more = _calls(client_for, acct, 2)
    deliver.index()
    body = _take_delivery_message()

    class Killed(BaseException):
        pass

    real = track_delivery._commit_bucket

    def killed(*a, **kw):
        raise Killed()
    monkeypatch.setattr(track_delivery, "_commit_bucket", killed)
    with pytest.raises(Killed):
        track_delivery.deliver([body])            # the object is in the bucket, its commit never ran
    monkeypatch.setattr(track_delivery, "_commit_bucket", real)
    assert track_delivery.pending_count(track_delivery.track_key(track)) == 1
    track_delivery.deliver([body])                # the message comes back: the same file finished
    track_delivery.deliver([body])                # and once more: nothing to do
    deliver()                                     # the queue copy of the message, acknowledged
    records = _records(_objects(bucket))
    got = _request_ids(records)
    assert sorted(i for i in got if i in ids + more) == sorted(ids + more)
    assert len(got) == len(set(got))
    done = track_delivery.delivered(track)
    assert len(done) == len({d["Key"] for d in done}) == len(_objects(bucket))
    assert track_delivery.pending_count(track_delivery.track_key(track)) == 0
    assert tracks.get(track.account, track.track_id).delivery["LastDeliveryTime"]


def _take_delivery_message() -> str:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=audit_settings().track_delivery_queue)["QueueUrl"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=0)
    return got[0]["Body"]


def test_a_missing_bucket_is_retried_and_then_delivered(deliver, client_for):
    acct = new_account()
    bucket = _bucket(acct, "later", create=False)
    track = _track(acct, "late_bucket", "later", action_type="Read")
    ids = _calls(client_for, acct, 2)
    deliver()
    status = tracks.get(track.account, track.track_id).delivery
    assert "NoSuchBucket" in status["LastError"] and status["Pending"] >= 1
    shown = CliRunner().invoke(audit, ["tracks", "--account", acct["OwnerUin"]])     # what an operator sees
    assert shown.exit_code == 0 and json.loads(shown.stdout)[0]["Delivery"]["LastError"] == status["LastError"]
    assert track_delivery.retry_pending()["pending"] >= 1        # still missing: still pending
    _bucket(acct, "later")
    assert track_delivery.retry_pending()["delivered"] >= 1
    got = _request_ids(_records(_objects(bucket)))
    assert sorted(i for i in got if i in ids) == sorted(ids) and len(got) == len(set(got))
    status = tracks.get(track.account, track.track_id).delivery
    assert status["Pending"] == 0 and status["LastError"] == ""


def test_files_under_a_cmk_decrypt_with_kms_and_a_disabled_key_delays_them(deliver, client_for):
    acct = new_account()
    bucket = _bucket(acct, "sealed")
    kms = client_for(acct, "kms", "2019-01-18")
    key_id = kms.call_json("CreateKey", {"Alias": "trail-key"})["Response"]["KeyId"]
    track = _track(acct, "encrypted", "sealed", kms_key_id=key_id, kms_region=REGION, compress=2)
    kms.call_json("DisableKey", {"KeyId": key_id})
    ids = _calls(client_for, acct, 2)
    deliver()
    assert not _objects(bucket)
    assert "Disabled" in tracks.get(track.account, track.track_id).delivery["LastError"]
    kms.call_json("EnableKey", {"KeyId": key_id})
    track_delivery.retry_pending()
    objects = _objects(bucket)
    assert objects
    records = []
    for key, obj in objects.items():
        meta, body = obj["Metadata"], obj["Body"].read()
        assert meta["gz-cipher"] == "AES-256-GCM" and meta["gz-kms-key-id"] == key_id and key.endswith(".json")
        assert b"Records" not in body
        plain = kms.call_json("Decrypt", {"CiphertextBlob": meta["gz-encrypted-data-key"],
                                          "EncryptionContext": meta["gz-encryption-context"]})["Response"]["Plaintext"]
        records += json.loads(track_delivery.decrypt_object(body, meta, key, base64.b64decode(plain)))["Records"]
    got = _request_ids(records)
    assert sorted(i for i in got if i in ids) == sorted(ids) and len(got) == len(set(got))


def test_a_track_with_a_queue_gets_a_copy_of_each_event(deliver, client_for):
    acct = new_account()
    bucket = _bucket(acct, "withq")
    sqs = aws.client("sqs", aws_region_name="us-east-1")
    url = sqs.create_queue(QueueName=f"trailq-{acct['AppId']}")["QueueUrl"]
    _track(acct, "queued", "withq", queue={"region": REGION, "name": "trailq"})
    ids = _calls(client_for, acct, 2)
    deliver()
    got = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            break
        got += [json.loads(m["Body"])["requestID"] for m in msgs]
    assert sorted(i for i in got if i in ids) == sorted(ids)
    assert sorted(_request_ids(_records(_objects(bucket)))) == sorted(got)


def test_the_digest_chain_verifies_and_verify_finds_added_removed_and_changed_files(deliver, client_for):
    acct = new_account()
    bucket = _bucket(acct, "digests")
    track = _track(acct, "signed", "digests")
    margin = audit_settings().track_digest_margin_seconds * 1000
    ends = []

    def digest() -> str:
        # a digest's end 1 s past now (each a second after the last: digests are named to the second)
        end = max(int(time.time() * 1000) + 1000, ends[-1] + 1000 if ends else 0)
        ends.append(end)
        return track_digest.write_digest(tracks.get(track.account, track.track_id), int(end + margin))

    _calls(client_for, acct, 2)
    deliver()
    first = digest()
    _calls(client_for, acct, 2)
    deliver()
    second = digest()
    assert "/CloudAudit-Digest/" in first and first != second
    s3 = aws.client("s3", aws_region_name="us-east-1")
    doc = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=second)["Body"].read()))
    assert doc["PreviousDigestKey"] == first and len(doc["PreviousDigestSha256"]) == 64 and doc["Files"]

    runner = CliRunner()
    ok = runner.invoke(audit, ["verify", "--bucket", bucket, "--prefix", "trail/", "--grace", "0"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["ok"] and report["digests"] == 2 and report["files"] == len(_objects(bucket))

    logs = sorted(_objects(bucket))
    removed, changed = logs[0], logs[-1]
    added = removed.rsplit("/", 1)[0] + f"/{acct['OwnerUin']}_CloudAudit_{REGION}_20190101T0000Z_forged.json.gz"
    s3.put_object(Bucket=bucket, Key=added, Body=gzip.compress(b'{"Records":[]}'))
    s3.delete_object(Bucket=bucket, Key=removed)
    s3.put_object(Bucket=bucket, Key=changed, Body=gzip.compress(b'{"Records":[]}'))
    digest()                                       # its end is past the forged file's time
    bad = runner.invoke(audit, ["verify", "--bucket", bucket, "--prefix", "trail/", "--grace", "0"])
    assert bad.exit_code == 1
    kinds = {(p["kind"], p["key"]) for p in json.loads(bad.stdout)["problems"]}
    assert {("file-added", added), ("file-removed", removed), ("file-changed", changed)} <= kinds

    # a digest removed or altered breaks the chain / the signature
    s3.delete_object(Bucket=bucket, Key=first)
    data = s3.get_object(Bucket=bucket, Key=second)
    s3.put_object(Bucket=bucket, Key=second, Body=gzip.compress(gzip.decompress(data["Body"].read()).replace(
        b'"Files":[', b'"Files":[ ')), Metadata=data["Metadata"])
    kinds = {p["kind"] for p in track_digest.verify(bucket, "trail/", grace_seconds=0)["problems"]}
    assert {"digest-signature"} <= kinds
