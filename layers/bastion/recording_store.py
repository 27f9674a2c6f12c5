"""Session recordings in S3: object keys, uploading a spool (one PutObject, or a multipart upload
whose parts are read back from the spool file), finishing spools a dead process left, and reading
a recording back (only under the caller's own account's prefix).

Keys: bastion-recordings/{account}/{YYYY}/{MM}/{DD}/{sid}.cast (UTC day the session started).
"""
import contextlib
import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, List, Optional

from botocore.exceptions import ClientError

from layers import aws
from layers.bastion import recording_spool as spool
from layers.bastion.recording_link import PREFIX, check_key, check_name, presigned_url  # noqa: F401 (re-exported)
from layers.config import settings
from layers.logs import where

log = logging.getLogger("guardzone.bastion.recording")

CONTENT_TYPE = "application/x-asciicast"


@dataclass(frozen=True)
class RecordingInfo:
    key: str
    size: int
    sha256: str     # hex digest of the whole object


def object_key(account: str, sid: str, started: float) -> str:
    day = datetime.fromtimestamp(started, timezone.utc)
    return f"{PREFIX}/{check_name('account', account)}/{day:%Y/%m/%d}/{check_name('sid', sid)}.cast"


def read(account: str, key: str, *, bucket: Optional[str] = None) -> bytes:
    check_key(account, key)
    return aws.client("s3").get_object(Bucket=bucket or settings().recordings_bucket, Key=key)["Body"].read()


def sha256_of(fd: int, size: int) -> str:
    digest = hashlib.sha256()
    for offset in range(0, size, spool._READ):
        digest.update(spool.read_at(fd, min(spool._READ, size - offset), offset))
    return digest.hexdigest()


def upload_part(s3, meta: spool.SpoolMeta, fd: int, end: int) -> None:
    """Upload the spool's next part: from what is uploaded up to a part's size further, or `end`."""
    if not meta.upload_id:
        meta.upload_id = s3.create_multipart_upload(
            Bucket=meta.bucket, Key=meta.key, ContentType=CONTENT_TYPE)["UploadId"]
    offset = meta.uploaded()
    size = min(meta.part_size, end - offset)
    number = len(meta.parts) + 1
    body = spool.read_at(fd, size, offset)
    etag = s3.upload_part(Bucket=meta.bucket, Key=meta.key, UploadId=meta.upload_id, PartNumber=number,
                          Body=body)["ETag"]
    meta.parts.append([number, etag, size])


def finish(s3, meta: spool.SpoolMeta, fd: int, size: int, save: Callable[[], None]) -> None:
    """Make the object the spool's first `size` bytes: one PutObject when no multipart upload was
    begun and it is under a part's size, else upload the parts left and complete. `save` keeps
    the metadata after each step, so a crash meanwhile resumes from there."""
    if not meta.upload_id and size < meta.part_size:
        s3.put_object(Bucket=meta.bucket, Key=meta.key, Body=spool.read_at(fd, size, 0), ContentType=CONTENT_TYPE)
        return
    while meta.uploaded() < size:
        upload_part(s3, meta, fd, size)
        save()
    s3.complete_multipart_upload(
        Bucket=meta.bucket, Key=meta.key, UploadId=meta.upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag, _ in meta.parts]})


def abort(s3, meta: spool.SpoolMeta) -> None:
    if meta.upload_id:
        try:
            s3.abort_multipart_upload(Bucket=meta.bucket, Key=meta.key, UploadId=meta.upload_id)
        except ClientError as exc:
            if _code(exc) != "NoSuchUpload":
                raise
    meta.upload_id, meta.parts = "", []


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def recover(spool_dir: Optional[str] = None) -> List[RecordingInfo]:
    """Upload what every spool left by a process that is gone holds, complete its object and
    remove the spool; a spool that still has a live owner is left alone. One that fails is kept
    (and logged) for the next call."""
    folder = spool.folder(spool_dir)
    done = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        try:
            info = _recover(os.path.join(folder, name))
        except Exception as exc:     # noqa: BLE001 - one spool must not keep the others back
            log.error("recording spool %s not recovered: %s", name, where(exc))
            continue
        if info:
            done.append(info)
    return done


def _recover(meta_path: str) -> Optional[RecordingInfo]:
    meta = spool.SpoolMeta.load(meta_path)
    if not meta.released and spool.owner_alive(meta.owner):
        return None
    cast_path = meta_path[:-len(".json")] + ".cast"
    s3 = aws.client("s3", bulk=True)
    try:
        fd = os.open(cast_path, os.O_RDWR | os.O_APPEND)
    except FileNotFoundError:
        # Removed by its owner's close() (which completed the object) just before it died, or never made.
        abort(s3, meta)
        os.remove(meta_path)
        return None
    try:
        if not spool.try_lock(fd):
            return None
        size = spool.playable_end(fd)
        if size < os.fstat(fd).st_size:
            os.ftruncate(fd, size)
        if size == 0:
            spool.write_all(fd, spool.header_line(meta.header))
            size = os.fstat(fd).st_size
        save = lambda: meta.save(meta_path, sync=True)  # noqa: E731
        if meta.uploaded() > size:      # the host lost bytes already uploaded: start over
            abort(s3, meta)
        try:
            finish(s3, meta, fd, size, save)
        except ClientError as exc:
            if _code(exc) != "NoSuchUpload":
                raise
            meta.upload_id, meta.parts = "", []     # expired or aborted meanwhile: upload it all again
            finish(s3, meta, fd, size, save)
        info = RecordingInfo(meta.key, size, sha256_of(fd, size))
        os.remove(cast_path)
        os.remove(meta_path)
        with contextlib.suppress(FileNotFoundError):
            os.remove(meta_path + ".tmp")      # a metadata write the crash cut short
        log.info("recording %s recovered (%d bytes)", meta.key, size)
        return info
    finally:
        os.close(fd)
