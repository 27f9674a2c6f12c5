"""ModifyEventsAuditTrack: change a track's status, storage or Filters (ResourceFields; a plain track
becomes a Filters one). The name cannot change (AuditTrackNameNotSupportModify)."""
from typing import Optional

from layers.audit import track_params as tp
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Int64, Params, String, Uint64


class Input(Params):
    TrackId: Uint64
    Name: Optional[String] = None
    Status: Optional[Int64] = None
    Storage: Optional[tp.Storage] = None
    TrackForAllMembers: Optional[Int64] = None
    Filters: Optional[tp.Filter] = None


@action("ModifyEventsAuditTrack", Input, region=REGION_IGNORED, versions=("2019-03-19",), resource_type="track")
def handle(p: Input, ctx: RequestContext) -> dict:
    track = tp.owned(ctx, p.TrackId)
    if p.Filters is not None:
        track.filters = tp.check_filters(p.Filters)
        track.action_type, track.resource_type, track.event_names = "*", "*", ["*"]
    tp.modify(ctx, track, name=p.Name, status=p.Status, storage=p.Storage, members=p.TrackForAllMembers)
    return {}
