"""DescribeAuditTrack: one of the caller's tracks (Filters: its ResourceFields, or its own scope as one)."""
from layers.audit import track_params as tp
from layers.audit import track_views
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, Uint64


class Input(Params):
    TrackId: Uint64


@action("DescribeAuditTrack", Input, region=REGION_IGNORED, versions=("2019-03-19",), resource_type="track")
def handle(p: Input, ctx: RequestContext) -> dict:
    return track_views.describe(tp.owned(ctx, p.TrackId))
