"""One audit event per API call: the fields CloudAudit's Events structure is built from."""
import re
import time
from typing import Any, Optional

from layers.gateway.action import ActionSpec, RequestContext
from layers.timeids import uuid7

REDACTED = "******"
_SECRET_NAME = re.compile(r"(password|passwd|secret|privatekey|private_key|passphrase|plaintext|token|"
                          r"keymaterial|credential|signature)", re.IGNORECASE)
_SENSITIVE_PREFIXES = ("Delete", "Destroy", "Terminate", "Reset", "Bind", "Modify", "Disable",
                       "ScheduleKeyDeletion", "Decrypt", "AsymmetricSm2Decrypt", "AsymmetricRsaDecrypt",
                       "ScheduleDataKeyDeletion")


def redact(value: Any, extra: tuple = ()) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if (_SECRET_NAME.search(k) or k in extra) and v not in (None, "")
                    else redact(v, extra)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, extra) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def identity_type(ctx: RequestContext) -> str:
    if not ctx.authenticated:
        return "Unauthenticated"
    return "root" if ctx.uin == ctx.account else "CAMUser"


def build(*, ctx: RequestContext, spec: Optional[ActionSpec], params: Optional[dict], http_method: str,
          signature_method: str, error_code: str = "", error_message: str = "") -> dict:
    read_only = spec.is_read_only if spec else ctx.action.startswith(("Describe", "Lookup", "LookUp", "List", "Get"))
    resource_type = ctx.resource_type or (spec.resource_type if spec else "")
    names = ",".join(ctx.resource_names)
    now_ms = int(time.time() * 1000)
    return {
        "EventId": uuid7(now_ms).hex,       # carries EventTime (layers/timeids.py)
        "EventTime": now_ms,
        "EventName": ctx.action,
        "EventSource": ctx.service and f"{ctx.service}.tencentcloudapi.com",
        "Service": ctx.service,
        "ApiVersion": ctx.version,
        "EventRegion": ctx.region,
        "RequestId": ctx.request_id,
        "AccountId": ctx.account,
        "AppId": ctx.app_id,
        "PrincipalId": ctx.uin,
        "Username": ctx.uin,
        "IdentityType": identity_type(ctx),
        "SecretId": ctx.secret_id,
        "SourceIPAddress": ctx.source_ip,
        "UserAgent": ctx.user_agent,
        "HttpMethod": http_method,
        "SignatureMethod": signature_method,
        "ErrorCode": 0 if not error_code else 1,
        "ApiErrorCode": error_code,
        "ApiErrorMessage": error_message,
        "RequestParameters": redact(params or {}, spec.secret_params if spec else ()),
        "ResourceType": resource_type,
        "ResourceName": names,
        "Resources": [{"ResourceType": resource_type, "ResourceName": n} for n in ctx.resource_names],
        "ReadOnly": read_only,
        "ActionType": "Read" if read_only else "Write",
        "SensitiveAction": (not read_only) and ctx.action.startswith(_SENSITIVE_PREFIXES),
    }
