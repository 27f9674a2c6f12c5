"""CreateAuditTrack: a track (跟踪集) that delivers the caller's events of one product (or all), of a kind
(Read/Write/*), to the caller's own storage (COS -> S3 bucket, CKafka -> SQS queue; layers/audit/tracks.py)."""
from typing import List, Optional

from layers.audit import track_params as tp
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Int64, Params, String


class Input(Params):
    Name: String
    Status: Int64
    Storage: tp.Storage
    ActionType: String
    ResourceType: String
    EventNames: List[String]
    TrackForAllMembers: Optional[Int64] = None
    ExportId: Optional[String] = None      # the console's export task the track came from: kept, not used


@action("CreateAuditTrack", Input, region=REGION_IGNORED, versions=("2019-03-19",), resource_type="track")
def handle(p: Input, ctx: RequestContext) -> dict:
    rt, names = tp.check_scope(p.ResourceType, p.EventNames)
    return tp.create_track(ctx, name=p.Name, status=p.Status, storage=p.Storage, members=p.TrackForAllMembers,
                           action_type=tp.check_action_type(p.ActionType), resource_type=rt, event_names=names,
                     export_id=p.ExportId or "")
