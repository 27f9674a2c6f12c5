"""DeleteAuditTrack: the caller's track is gone (its name is free again; delivered files stay)."""
from layers.audit import track_params as tp
from layers.audit import tracks
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, Uint64


class Input(Params):
    TrackId: Uint64


@action("DeleteAuditTrack", Input, region=REGION_IGNORED, versions=("2019-03-19",), resource_type="track")
def handle(p: Input, ctx: RequestContext) -> dict:
    tp.owned(ctx, p.TrackId)
    tracks.delete(ctx.account, p.TrackId)
    return {}
