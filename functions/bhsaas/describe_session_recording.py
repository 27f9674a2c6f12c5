"""DescribeSessionRecording (Guardzone's own action, not in the SDK or the seed): a time-limited
link to one of the account's finished sessions' recordings (asciicast v2), for the console's
replay page and asciinema-player — what `guardzone bastion link` prints, reached through the API
so the caller is signed, authorized and audited like any other call.

Only the calling account's sessions: another account's Sid reads as one that does not exist.
A session still running has no recording yet (ResourceNotFound, like an unknown Sid)."""
from datetime import timedelta
from typing import Annotated

from pydantic import Field

from layers.bastion import recording_link, sessions, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String


class Input(Params):
    Sid: Annotated[String, Field(min_length=1, max_length=128)]
    ExpiresIn: Annotated[int, Field(ge=60, le=3600)] = 900


@action("DescribeSessionRecording", Input, region=REGION_IGNORED, resource_type="session")
def handle(p: Input, ctx: RequestContext) -> dict:
    kept = sessions.recording(ctx.account, p.Sid)
    try:
        if kept is None:
            raise ValueError("no recording")
        url = recording_link.presigned_url(ctx.account, kept["key"], p.ExpiresIn)
    except ValueError:
        raise ApiError("ResourceNotFound", f"Session `{p.Sid}` does not exist or has no recording yet.") from None
    ctx.touched(p.Sid)
    return {"Url": url, "Size": int(kept.get("size") or 0), "Sha256": kept.get("sha256") or "",
            "ExpireTime": times.iso(times.now() + timedelta(seconds=p.ExpiresIn))}
