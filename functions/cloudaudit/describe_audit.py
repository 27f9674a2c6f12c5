"""DescribeAudit: a track in the 2019 "audit" view, by AuditName (== the track's Name): its COS bucket
and prefix, read/write kind, CMQ notify queue (an SQS queue here) and KMS encryption."""
from layers.audit import track_params as tp
from layers.audit import track_views
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String


class Input(Params):
    AuditName: String


@action("DescribeAudit", Input, region=REGION_IGNORED, versions=("2019-03-19",), resource_type="track")
def handle(p: Input, ctx: RequestContext) -> dict:
    track = tp.owned_by_name(ctx, p.AuditName)
    queue = track.queue or {}
    kms_region = track.kms_region if track.kms_key_id else ""
    return {
        "AuditName": track.name, "AuditStatus": track.status,
        "ReadWriteAttribute": track_views.read_write(track),
        "CosRegion": track.storage.get("StorageRegion", ""), "CosBucketName": track_views.cos_bucket(track),
        "LogFilePrefix": track.storage.get("StoragePrefix", ""),
        "IsEnableCmqNotify": 1 if queue.get("name") else 0,
        "CmqRegion": queue.get("region", ""), "CmqQueueName": queue.get("name", ""),
        "IsEnableKmsEncry": 1 if track.kms_key_id else 0, "KeyId": track.kms_key_id, "KmsRegion": kms_region,
        "KmsAlias": tp.kms_alias(ctx, track.kms_key_id, kms_region),
    }
