"""UpdateAudit: change a track by AuditName (the 2019 "audit" view): its read/write kind, COS bucket
(an S3 bucket of the caller's, made when IsCreateNewBucket is 1), log prefix, CMQ notify queue (an SQS
queue of the caller's, made when IsCreateNewQueue is 1) and KMS encryption (a CMK of the caller's in our
KMS, in the bucket's region). Everything is checked before anything is made or written."""
from typing import Optional

from layers.audit import track_params as tp
from layers.audit import tracks
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Int64, Params, String


class Input(Params):
    AuditName: String
    IsEnableCmqNotify: Optional[Int64] = None
    ReadWriteAttribute: Optional[Int64] = None
    KeyId: Optional[String] = None
    CosRegion: Optional[String] = None
    CmqQueueName: Optional[String] = None
    IsCreateNewBucket: Optional[Int64] = None
    KmsRegion: Optional[String] = None
    IsEnableKmsEncry: Optional[Int64] = None
    CosBucketName: Optional[String] = None
    CmqRegion: Optional[String] = None
    LogFilePrefix: Optional[String] = None
    IsCreateNewQueue: Optional[Int64] = None


def _flag(value: Optional[int], name: str) -> Optional[int]:
    if value not in (None, 0, 1):
        raise ApiError("InvalidParameterValue", f"The value of parameter `{name}` is invalid: 0 or 1.")
    return value


@action("UpdateAudit", Input, region=REGION_IGNORED, versions=("2019-03-19",), resource_type="track")
def handle(p: Input, ctx: RequestContext) -> dict:
    track = tp.owned_by_name(ctx, p.AuditName)
    cmq, new_bucket, kms = (_flag(p.IsEnableCmqNotify, "IsEnableCmqNotify"),
                            _flag(p.IsCreateNewBucket, "IsCreateNewBucket"), _flag(p.IsEnableKmsEncry, "IsEnableKmsEncry"))
    new_queue = _flag(p.IsCreateNewQueue, "IsCreateNewQueue")
    if p.ReadWriteAttribute is not None:
        kind = tp.READ_WRITE.get(p.ReadWriteAttribute)
        if kind is None:
            raise ApiError("InvalidParameterValue.ReadWriteAttributeError",
                           "The value of parameter `ReadWriteAttribute` is invalid: 1 (read), 2 (write) or 3 (all).")
        track.action_type = kind
        for field in (track.filters or {}).get("ResourceFields", []):
            field["ActionType"] = kind
    if p.LogFilePrefix is not None:
        track.storage["StoragePrefix"] = tp.check_prefix(p.LogFilePrefix, "LogFilePrefix")
    # the bucket
    bucket = None
    if p.CosBucketName is not None or p.CosRegion is not None or new_bucket == 1:
        region = tp.check_region(p.CosRegion or track.storage.get("StorageRegion", ""),
                                 "InvalidParameterValue.CosRegionError", "CosRegion")
        name = p.CosBucketName if p.CosBucketName is not None else (
            track.storage.get("StorageName", "") if track.storage_type == "cos" else "")
        bucket = tp.own_bucket(name, ctx, "CosBucketName")
        if new_bucket != 1:
            tp.bucket_ready(bucket, region, False)
        if track.storage_type != "cos":
            track.queue = None                      # the ckafka storage's queue goes with it
        track.storage.update(StorageType="cos", StorageRegion=region, StorageAccountId=ctx.account,
                             StorageAppId=ctx.app_id, StorageName=bucket[: -len(ctx.app_id) - 1] if ctx.app_id else bucket)
    # the queue
    queue = None
    if cmq == 1:
        if new_queue is None:
            raise ApiError("MissingParameter.cmq", "IsEnableCmqNotify=1 needs CmqQueueName, CmqRegion and "
                                                   "IsCreateNewQueue.")
        queue = tp.check_queue(p.CmqQueueName or "", p.CmqRegion or "")
        if new_queue == 0:
            tp.ensure_queue(queue, ctx, False)
    elif cmq == 0 and track.storage_type == "cos":
        track.queue = None
    # the key: in the bucket's region
    if kms == 1:
        cos_region = track.storage.get("StorageRegion", "")
        kms_region = tp.check_region(p.KmsRegion or cos_region, "InvalidParameterValue.KmsRegionError", "KmsRegion")
        if kms_region != cos_region:
            raise ApiError("InvalidParameterValue.KmsRegionError",
                           f"The value of parameter `KmsRegion` is invalid: it must be the bucket's region ({cos_region}).")
        track.kms_key_id = tp.kms_key(ctx, p.KeyId or "", kms_region).key_id
        track.kms_region = kms_region
    elif kms == 0:
        track.kms_key_id, track.kms_region = "", ""
    # checked: make what is new, then write
    if bucket is not None and new_bucket == 1:
        tp.bucket_ready(bucket, track.storage["StorageRegion"], True)
    if queue is not None:
        if new_queue == 1:
            tp.ensure_queue(queue, ctx, True)
        track.queue = queue
    tracks.save(track)
    return {"IsSuccess": 1}
