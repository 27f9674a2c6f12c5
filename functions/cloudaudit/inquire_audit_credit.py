"""InquireAuditCredit: how many more tracks the caller may create (at most tracks.TRACK_LIMIT, 5)."""
from layers.audit import tracks
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import NoParams


@action("InquireAuditCredit", NoParams, region=REGION_IGNORED, versions=("2019-03-19",))
def handle(p: NoParams, ctx: RequestContext) -> dict:
    return {"AuditAmount": tracks.remaining(ctx.account)}
