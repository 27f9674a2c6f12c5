"""GetFederationToken: a temporary SecretId/SecretKey/Token for the caller's own user, valid for
DurationSeconds (default 1800; at most 7200 for an account's root user, 129600 for a sub-user) and
allowed only what both the caller's policy and the given Policy allow (layers/sts/federation.py).
Called with a permanent key only: a temporary key cannot extend itself
(FailedOperation.TempKeyNotAllowed)."""
import re
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Int64, Params, String
from layers.sts import federation

_NAME = re.compile(r"^[A-Za-z0-9_.@+=,-]{1,64}$")


class Input(Params):
    Name: String
    Policy: String
    DurationSeconds: Optional[Int64] = None


@action("GetFederationToken", Input, region=REGION_OPTIONAL, read_only=False, resource_type="federationToken")
def handle(p: Input, ctx: RequestContext) -> dict:
    if ctx.temporary:
        raise ApiError("FailedOperation.TempKeyNotAllowed", "GetFederationToken cannot be called with a temporary key.")
    if not _NAME.match(p.Name):
        raise ApiError("InvalidParameter.ParamError", "The parameter `Name` must be 1 to 64 letters, digits or _.@+=,-.")
    limit = federation.ROOT_MAX_SECONDS if ctx.uin == ctx.account else federation.USER_MAX_SECONDS
    seconds = federation.DEFAULT_SECONDS if p.DurationSeconds is None else p.DurationSeconds
    if not 1 <= seconds <= limit:
        raise ApiError("InvalidParameter.OverTimeError", f"DurationSeconds must be from 1 to {limit} for this caller.")
    allow, deny = federation.parse_policy(p.Policy)
    issued = federation.issue(ctx.uin, seconds, allow, deny, name=p.Name)
    ctx.touched(p.Name, resource_type="federationToken")
    return issued.response()
