"""Temporary keys for a caller, narrowed by a CAM-style policy (GetFederationToken, the console's
bastion sign-in).

A policy is the CAM JSON `{"version": "2.0", "statement": [{"effect": "allow", "action": [...],
"resource": "*"}]}`, URL-encoded as the API asks. Each statement's actions (`cloudaudit:LookUp*`,
`name/cloudaudit:LookUpEvents`, `*`) become the key's own allow or deny patterns; the gateway then
requires both the user's policy and the key's allow list, and no deny (layers/identity.Credential.allows),
so a temporary key never does more than the user who asked for it. Resource-level grants and
conditions are not kept by this gateway: an allow statement naming anything but `*` as resource,
or with a condition, is refused (granting it as `*` would grant more than was asked); a deny
statement always denies its actions everywhere (stricter than asked, never looser).
"""
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Tuple
from urllib.parse import unquote

from layers import identity
from layers.gateway.errors import ApiError

DEFAULT_SECONDS = 1800
ROOT_MAX_SECONDS = 7200          # an account's root user ("主账号最长可设定有效期为7200秒")
USER_MAX_SECONDS = 129600        # a sub-user ("子账号最长可设定有效期为129600秒")
POLICY_MAX_CHARS = 4096
_ACTION = re.compile(r"^(?:name/)?([a-z][a-z0-9]{0,31}:[A-Za-z0-9*]{1,80}|\*)$")


def _bad(why: str) -> ApiError:
    return ApiError("InvalidParameter.StrategyFormatError", f"The policy is not valid: {why}.")


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def parse_policy(text: str) -> Tuple[List[str], List[str]]:
    """(allow patterns, deny patterns) of a URL-encoded CAM policy, or the SDK's policy errors."""
    if len(text) > POLICY_MAX_CHARS:
        raise ApiError("InvalidParameter.PolicyTooLong", f"The policy is longer than {POLICY_MAX_CHARS} characters.")
    try:
        doc = json.loads(unquote(text))
    except ValueError:
        raise _bad("it is not JSON (URL-encoded)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("statement"), (list, dict)):
        raise _bad("it needs a `statement`")
    allow, deny = [], []
    for i, st in enumerate(_listed(doc["statement"])):
        if not isinstance(st, dict):
            raise _bad(f"statement {i} is not an object")
        if "principal" in st:
            raise ApiError("InvalidParameter.StrategyInvalid", "A policy for a temporary key cannot name a principal.")
        effect = str(st.get("effect", "")).lower()
        if effect not in ("allow", "deny"):
            raise _bad(f"statement {i} has no effect allow or deny")
        actions = _listed(st.get("action", []))
        if not actions or not all(isinstance(a, str) and _ACTION.match(a) for a in actions):
            raise _bad(f"statement {i} needs actions written service:Action")
        patterns = [a.split("/", 1)[-1] if a.startswith("name/") else a for a in actions]
        if effect == "deny":
            deny.extend(patterns)
            continue
        resources = _listed(st.get("resource", "*"))
        if resources != ["*"] or st.get("condition"):
            raise ApiError("InvalidParameter.ResouceError", f"Statement {i}: only the resource `*` without a "
                           "condition can be granted to a temporary key here.")
        allow.extend(patterns)
    return allow, deny


@dataclass(frozen=True)
class Issued:
    secret_id: str
    secret_key: str
    token: str
    expired_time: int

    @property
    def expiration(self) -> str:
        return datetime.fromtimestamp(self.expired_time, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def response(self) -> dict:
        return {"Credentials": {"Token": self.token, "TmpSecretId": self.secret_id, "TmpSecretKey": self.secret_key},
                "ExpiredTime": self.expired_time, "Expiration": self.expiration}


def issue(uin: str, seconds: int, allow: List[str], deny: List[str] = (), *, name: str = "",
          bastion_user: str = "") -> Issued:
    key = identity.create_key(uin, temporary=True, ttl_seconds=seconds, key_policy=list(allow),
                              key_deny=list(deny), name=name, bastion_user=bastion_user)
    return Issued(key["SecretId"], key["SecretKey"], key["Token"], key["ExpiresAt"])
