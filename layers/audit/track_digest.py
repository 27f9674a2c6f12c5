"""Track digests: every period (GZ_AUDIT_TRACK_DIGEST_SECONDS, an hour by default) each logging track
that delivers to a bucket writes a digest file listing the SHA-256 of every file delivered since its
previous digest and the SHA-256 of that previous digest file (a chain), signed with SM2 (SM3 digest)
by the service's signing key. `guardzone audit verify --bucket B --prefix P` checks them.

    <StoragePrefix>/<account>/CloudAudit-Digest/<region>/YYYY/MM/DD/<account>_CloudAudit-Digest_<region>_<YYYYMMDDTHHMMSSZ>.json[.gz]

The digest (JSON, gzip when the track's Compress is 1) holds AccountId, TrackId, TrackName,
DigestStartTime/DigestEndTime (ms), DigestBucket/DigestKey, PreviousDigestKey, PreviousDigestSha256
(hex SHA-256 of the previous digest object's bytes as stored; null for the first), the signing key's
Fingerprint and SignatureAlgorithm "SM2-SM3", and Files [{Bucket, Key, Sha256, Size, Events, First, Last}].
The signature is SM2 (ID 1234567812345678, SM3) over the digest's JSON bytes (before compression),
DER, hex, in the object's metadata `gz-signature`; `gz-signing-key` names the key's fingerprint
(SM3 of its public key's SubjectPublicKeyInfo DER, hex).

Signing key: one SM2 key pair of the service, made on first use; the private key is sealed in the
key store (layers/keystore, purpose "cloudaudit/digest-signing-key"), the public key is published
(`guardzone audit signing-key`, and kept in the track delivery table: pk "SIGNKEY", sk <fingerprint>).

The chain head (pk "DIGEST#<account>#<track>", sk "HEAD"): the DONE cursor, the last digest's key
and SHA-256. A digest covers the files delivered up to now - GZ_AUDIT_TRACK_DIGEST_MARGIN_SECONDS
(so a delivery recorded a moment late is not skipped), and the head moves only if nobody moved it.
"""
import datetime as dt
import gzip
import hashlib
import json
import logging
import threading
import time
from typing import Callable, Dict, List, Optional

from layers import aws, keystore
from layers.audit import track_delivery, tracks
from layers.audit.config import audit_settings
from layers.crypto import sm2, sm3
from layers.regions import DEFAULT_REGION

log = logging.getLogger("guardzone.audit.tracks")

SERVICE_ACCOUNT = "cloudaudit-service"       # the key store account the signing key is sealed for
PURPOSE = "cloudaudit/digest-signing-key"
ALGORITHM = "SM2-SM3"
_UTC = dt.timezone.utc
_key_lock = threading.Lock()
_signing: Optional[tuple] = None             # (private key, fingerprint)


def _table() -> str:
    return audit_settings().track_delivery_table


def _key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


# ---- the signing key ----
def fingerprint(public: sm2.SM2PublicKey) -> str:
    return sm3.sm3(public.to_der()).hex()


def signing_key() -> tuple:
    """(SM2 private key, fingerprint) of the service; made and sealed on first use."""
    global _signing
    with _key_lock:
        if _signing:
            return _signing
        ddb = aws.client("dynamodb")
        current = ddb.get_item(TableName=_table(), Key=_key("SIGNKEY", "CURRENT"), ConsistentRead=True).get("Item")
        if not current:
            private = sm2.SM2PrivateKey.generate()
            public = sm2.SM2PublicKey.from_bytes(sm2.public_key_from_private(private))
            fp = fingerprint(public)
            sealed = keystore.seal(SERVICE_ACCOUNT, PURPOSE, private.to_bytes(), {"Fingerprint": fp})
            ddb.put_item(TableName=_table(), Item={**_key("SIGNKEY", fp), "Public": {"S": public.to_pem().decode("ascii")},
                                                   "Sealed": {"S": sealed}, "Created": {"N": str(int(time.time()))}})
            try:
                ddb.put_item(TableName=_table(), Item={**_key("SIGNKEY", "CURRENT"), "Fingerprint": {"S": fp}},
                             ConditionExpression="attribute_not_exists(pk)")
            except ddb.exceptions.ConditionalCheckFailedException:
                pass        # another process made one first: use that
            current = ddb.get_item(TableName=_table(), Key=_key("SIGNKEY", "CURRENT"), ConsistentRead=True)["Item"]
        fp = current["Fingerprint"]["S"]
        item = ddb.get_item(TableName=_table(), Key=_key("SIGNKEY", fp), ConsistentRead=True)["Item"]
        private = sm2.SM2PrivateKey.from_bytes(keystore.open(SERVICE_ACCOUNT, PURPOSE, item["Sealed"]["S"],
                                                             {"Fingerprint": fp}))
        _signing = (private, fp)
        return _signing


def public_key_pem(fp: str = "") -> Optional[str]:
    """The published public key (PEM) of a fingerprint (default: the current key)."""
    ddb = aws.client("dynamodb")
    if not fp:
        current = ddb.get_item(TableName=_table(), Key=_key("SIGNKEY", "CURRENT"), ConsistentRead=True).get("Item")
        if not current:
            signing_key()
            current = ddb.get_item(TableName=_table(), Key=_key("SIGNKEY", "CURRENT"), ConsistentRead=True)["Item"]
        fp = current["Fingerprint"]["S"]
    item = ddb.get_item(TableName=_table(), Key=_key("SIGNKEY", fp), ConsistentRead=True).get("Item")
    return item["Public"]["S"] if item else None


# ---- writing digests ----
def digest_key(track: tracks.Track, end_ms: int) -> str:
    region = track.storage.get("StorageRegion") or DEFAULT_REGION
    at = dt.datetime.fromtimestamp(end_ms / 1000, tz=_UTC)
    name = f"{track.account}_CloudAudit-Digest_{region}_{at:%Y%m%dT%H%M%SZ}.json" + (".gz" if tracks.compressed(track) else "")
    return "/".join(p for p in (tracks.prefix_of(track).strip("/"), track.account, "CloudAudit-Digest", region,
                                f"{at:%Y/%m/%d}", name) if p)


def canonical(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def write_digest(track: tracks.Track, now_ms: Optional[int] = None) -> Optional[str]:
    """Write the track's next digest; returns its key (None for a track without a bucket)."""
    bucket = tracks.bucket_of(track)
    if not bucket:
        return None
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    end_ms = now_ms - int(audit_settings().track_digest_margin_seconds * 1000)
    ddb = aws.client("dynamodb")
    tk = track_delivery.track_key(track)
    head_item = ddb.get_item(TableName=_table(), Key=_key(f"DIGEST#{tk}", "HEAD"), ConsistentRead=True).get("Item")
    head = {k: list(v.values())[0] for k, v in (head_item or {}).items() if k not in ("pk", "sk")}
    cursor = head.get("Cursor", "")
    start_ms = int(head.get("End", 0)) or int(track.delivery.get("FirstDigestStart", 0) or 0)
    until = f"{end_ms:013d}#~"
    if end_ms // 1000 <= int(head.get("End", 0)) // 1000:      # names are to the second
        return None
    files = track_delivery.delivered(track, cursor, until)
    private, fp = signing_key()
    key = digest_key(track, end_ms)
    doc = {"AccountId": track.account, "TrackId": int(track.track_id), "TrackName": track.name,
           "DigestStartTime": start_ms, "DigestEndTime": end_ms, "DigestBucket": bucket, "DigestKey": key,
           "PreviousDigestKey": head.get("LastKey") or None, "PreviousDigestSha256": head.get("LastSha256") or None,
           "Fingerprint": fp, "SignatureAlgorithm": ALGORITHM,
           "Files": [{"Bucket": f["Bucket"], "Key": f["Key"], "Sha256": f["Sha256"], "Size": int(f["Size"]),
                      "Events": int(f["Events"]), "First": int(f["First"]), "Last": int(f["Last"])} for f in files]}
    body = canonical(doc)
    signature = sm2.sign(private, body, der=True).hex()
    data = gzip.compress(body, compresslevel=6, mtime=0) if tracks.compressed(track) else body
    s3 = aws.client("s3", aws_region_name=tracks.bucket_region(track))
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json",
                  Metadata={"gz-signature": signature, "gz-signing-key": fp, "gz-signature-algorithm": ALGORITHM})
    new_cursor = files[-1]["sk"] if files else cursor       # files later than the last one listed come next
    values = {":c": {"S": new_cursor}, ":k": {"S": key},
              ":s": {"S": hashlib.sha256(data).hexdigest()}, ":e": {"N": str(end_ms)}}
    kwargs = {}
    if head_item:
        kwargs = {"ConditionExpression": "LastKey = :old", "ExpressionAttributeValues": {**values, ":old": {"S": head.get("LastKey", "")}}}
    else:
        kwargs = {"ConditionExpression": "attribute_not_exists(pk)", "ExpressionAttributeValues": values}
    try:
        ddb.update_item(TableName=_table(), Key=_key(f"DIGEST#{tk}", "HEAD"),
                        UpdateExpression="SET #c = :c, LastKey = :k, LastSha256 = :s, #e = :e",
                        ExpressionAttributeNames={"#c": "Cursor", "#e": "End"}, **kwargs)
    except ddb.exceptions.ConditionalCheckFailedException:
        raise RuntimeError(f"track {tk}: another digest was written at the same time") from None
    tracks.report_delivery(track.account, track.track_id, LastDigestTime=tracks.now_text(), LastDigestKey=key)
    return key


def run_all(now_ms: Optional[int] = None) -> dict:
    """Write the digest of every logging track (the audit_track_digest schedule)."""
    written, failed = 0, 0
    for track in tracks.active():
        try:
            if write_digest(track, now_ms):
                written += 1
        except Exception as exc:
            failed += 1
            why = track_delivery._describe(exc)
            log.warning("track %s: digest not written (%s); the next one covers its files", track.track_id, why)
            tracks.report_delivery(track.account, track.track_id, LastDigestError=why,
                                   LastDigestErrorTime=tracks.now_text())
    return {"written": written, "failed": failed}


# ---- verifying ----
def verify(bucket: str, prefix: str = "", *, public_key: Optional[Callable[[str], Optional[str]]] = None,
           grace_seconds: float = 300.0, s3=None) -> dict:
    """Check every digest under `prefix` of `bucket` (signature, chain) and every file they list
    (present, same SHA-256), and find delivered files that no digest lists. Returns
    {"ok": bool, "digests": n, "files": n, "problems": [{"kind", "key", "detail"}], "pending": [keys]}:
    kinds digest-signature, digest-chain, digest-unreadable, file-removed, file-changed, file-added.
    A file newer than the newest digest's end (less `grace_seconds`) is pending, not added."""
    s3 = s3 or aws.client("s3")
    public_key = public_key or public_key_pem
    objects: Dict[str, dict] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.lstrip("/")):
        for o in page.get("Contents", []):
            objects[o["Key"]] = o
    problems: List[dict] = []
    keys_cache: Dict[str, Optional[sm2.SM2PublicKey]] = {}
    chains: Dict[tuple, List[dict]] = {}
    for key in sorted(k for k in objects if "/CloudAudit-Digest/" in k):
        resp = s3.get_object(Bucket=bucket, Key=key)
        data, meta = resp["Body"].read(), resp.get("Metadata", {})
        try:
            body = gzip.decompress(data) if key.endswith(".gz") else data
            doc = json.loads(body)
        except (OSError, ValueError):
            problems.append({"kind": "digest-unreadable", "key": key, "detail": "not a digest file"})
            continue
        fp = meta.get("gz-signing-key", "")
        if fp not in keys_cache:
            pem = public_key(fp) if fp else None
            keys_cache[fp] = sm2.SM2PublicKey.from_pem(pem) if pem else None
        pub = keys_cache[fp]
        try:
            if pub is None:
                raise ValueError(f"unknown signing key {fp or '(none)'}")
            sm2.verify(pub, bytes.fromhex(meta.get("gz-signature", "")), body, der=True)
        except Exception as exc:
            problems.append({"kind": "digest-signature", "key": key, "detail": f"signature does not verify ({exc})"[:300]})
            continue
        if doc.get("DigestKey") != key:
            problems.append({"kind": "digest-chain", "key": key, "detail": f"signed for {doc.get('DigestKey')}"})
        chains.setdefault((doc.get("AccountId"), doc.get("TrackId")), []).append(
            {**doc, "_sha": hashlib.sha256(data).hexdigest(), "_key": key})
    listed: Dict[str, dict] = {}
    newest_end = 0
    for chain in chains.values():
        chain.sort(key=lambda d: (d["DigestEndTime"], d["_key"]))
        by_key = {d["_key"]: d for d in chain}
        for i, d in enumerate(chain):
            newest_end = max(newest_end, int(d["DigestEndTime"]))
            prev_key = d.get("PreviousDigestKey")
            if i == 0 and prev_key:
                problems.append({"kind": "digest-chain", "key": d["_key"],
                                 "detail": f"previous digest {prev_key} is missing"})
            elif i > 0:
                prev = chain[i - 1]
                if prev_key != prev["_key"]:
                    detail = (f"previous digest {prev_key} is missing" if prev_key not in by_key
                              else f"names {prev_key}, the chain has {prev['_key']} before it")
                    problems.append({"kind": "digest-chain", "key": d["_key"], "detail": detail})
                elif d.get("PreviousDigestSha256") != prev["_sha"]:
                    problems.append({"kind": "digest-chain", "key": d["_key"],
                                     "detail": f"previous digest {prev_key} was changed"})
            for f in d.get("Files", []):
                if f.get("Bucket") != bucket:
                    continue
                listed[f["Key"]] = f
                o = objects.get(f["Key"])
                if o is None:
                    problems.append({"kind": "file-removed", "key": f["Key"], "detail": f"listed by {d['_key']}"})
                    continue
                got = hashlib.sha256(s3.get_object(Bucket=bucket, Key=f["Key"])["Body"].read()).hexdigest()
                if got != f["Sha256"]:
                    problems.append({"kind": "file-changed", "key": f["Key"],
                                     "detail": f"SHA-256 {got}, {d['_key']} lists {f['Sha256']}"})
    pending = []
    cutoff = newest_end / 1000 - grace_seconds
    for key, o in sorted(objects.items()):
        if "/CloudAudit/" not in key or key in listed:
            continue
        if o["LastModified"].timestamp() > cutoff:
            pending.append(key)
        else:
            problems.append({"kind": "file-added", "key": key, "detail": "no digest lists it"})
    return {"ok": not problems, "digests": sum(len(c) for c in chains.values()), "files": len(listed),
            "problems": problems, "pending": pending}
