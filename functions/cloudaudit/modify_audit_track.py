"""ModifyAuditTrack: change a track's status, scope (ActionType, ResourceType, EventNames: a Filters
track becomes a plain one) or storage. The name cannot change (AuditTrackNameNotSupportModify)."""
from typing import List, Optional

from layers.audit import track_params as tp
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Int64, Params, String, Uint64


class Input(Params):
    TrackId: Uint64
    Name: Optional[String] = None
    ActionType: Optional[String] = None
    ResourceType: Optional[String] = None
    Status: Optional[Int64] = None
    EventNames: Optional[List[String]] = None
    Storage: Optional[tp.Storage] = None
    TrackForAllMembers: Optional[Int64] = None


@action("ModifyAuditTrack", Input, region=REGION_IGNORED, versions=("2019-03-19",), resource_type="track")
def handle(p: Input, ctx: RequestContext) -> dict:
    track = tp.owned(ctx, p.TrackId)
    if p.ActionType is not None or p.ResourceType is not None or p.EventNames is not None:
        if p.ActionType is not None:
            track.action_type = tp.check_action_type(p.ActionType)
        track.resource_type, track.event_names = tp.check_scope(
            track.resource_type if p.ResourceType is None else p.ResourceType,
            track.event_names if p.EventNames is None else p.EventNames)
        track.filters = None
    tp.modify(ctx, track, name=p.Name, status=p.Status, storage=p.Storage, members=p.TrackForAllMembers)
    return {}
