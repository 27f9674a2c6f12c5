"""DescribeAuditTracks: the caller's tracks by TrackId, a page at a time (PageNumber from 1)."""
from pydantic import Field

from layers.audit import track_views, tracks
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    PageNumber: int = Field(1, ge=1, le=10 ** 6)
    PageSize: int = Field(10, ge=1, le=100)


@action("DescribeAuditTracks", Input, region=REGION_IGNORED, versions=("2019-03-19",), resource_type="track")
def handle(p: Input, ctx: RequestContext) -> dict:
    all_tracks = tracks.list_tracks(ctx.account)
    start = (p.PageNumber - 1) * p.PageSize
    return {"Tracks": [track_views.tracks_item(t) for t in all_tracks[start:start + p.PageSize]],
            "TotalCount": len(all_tracks)}
