"""CreateEventsAuditTrack: a track whose scope is a list of ResourceFields (several products, each with
its kind and action names); an event is delivered when any one of them matches."""
from typing import Optional

from layers.audit import track_params as tp
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Int64, Params, String


class Input(Params):
    Name: String
    Status: Int64
    Storage: tp.Storage
    Filters: tp.Filter
    TrackForAllMembers: Optional[Int64] = None


@action("CreateEventsAuditTrack", Input, region=REGION_IGNORED, versions=("2019-03-19",), resource_type="track")
def handle(p: Input, ctx: RequestContext) -> dict:
    return tp.create_track(ctx, name=p.Name, status=p.Status, storage=p.Storage, members=p.TrackForAllMembers,
                           filters=tp.check_filters(p.Filters))
