"""StopLogging: the track named AuditName stops delivering (Status 0); IsSuccess 1."""
from layers.audit import track_params as tp
from layers.audit import tracks
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String


class Input(Params):
    AuditName: String


@action("StopLogging", Input, region=REGION_IGNORED, versions=("2019-03-19",), resource_type="track")
def handle(p: Input, ctx: RequestContext) -> dict:
    track = tp.owned_by_name(ctx, p.AuditName)
    tracks.set_status(ctx.account, track.track_id, tracks.STOPPED)
    return {"IsSuccess": 1}
