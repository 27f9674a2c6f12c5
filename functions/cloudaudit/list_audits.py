"""ListAudits: the caller's tracks in the 2019 "audit" view (AuditName == the track's Name)."""
from layers.audit import track_views, tracks
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import NoParams


@action("ListAudits", NoParams, region=REGION_IGNORED, versions=("2019-03-19",))
def handle(p: NoParams, ctx: RequestContext) -> dict:
    return {"AuditSummarys": [track_views.audit_summary(t) for t in tracks.list_tracks(ctx.account)]}
