"""Which signature style, service, version, action and region a request names."""
import ipaddress
from dataclasses import dataclass
from typing import List, Optional, Tuple
from urllib.parse import parse_qsl

from layers.gateway import params as params_mod, registry
from layers.gateway.errors import ApiError, auth, missing
from layers.gateway.request import HttpRequest
from layers.gateway.signature_v3 import Authorization, parse_authorization

# Parameters of the v1 calling convention that are not the action's own.
V1_COMMON = frozenset({"Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "Signature",
                       "SignatureMethod", "Token", "Language", "RequestClient"})

MAX_GET = 32 * 1024
MAX_V1_POST = 1024 * 1024
MAX_TC3_POST = 10 * 1024 * 1024


@dataclass
class Identified:
    style: str                      # "TC3-HMAC-SHA256" | "HmacSHA1" | "HmacSHA256"
    action: str
    version: str
    region: str
    timestamp: str
    secret_id: str
    token: str
    language: str
    authz: Optional[Authorization] = None
    v1_pairs: Optional[List[Tuple[str, str]]] = None   # every v1 parameter, Signature included
    service: Optional[registry.Service] = None


def _host_service(host: str) -> Optional[registry.Service]:
    host = host.split("://", 1)[-1].split("/", 1)[0]
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    try:
        ipaddress.ip_address(name.strip("[]"))
        return None
    except ValueError:
        pass
    if "." not in name:
        return None
    return registry.service_named(name.split(".", 1)[0])


def _check_size(req: HttpRequest, limit: int, what: str) -> None:
    size = len(req.body) if req.method == "POST" else sum(len(k) + len(v) + 2 for k, v in req.query)
    if size > limit:
        raise ApiError("InvalidParameter", f"The request is too large: {what} allows at most {limit // 1024} KB.")


def identify(req: HttpRequest) -> Identified:
    h = req.headers
    authorization = h.get("authorization", "")
    if authorization.startswith("TC3-HMAC-SHA256"):
        _check_size(req, MAX_GET if req.method == "GET" else MAX_TC3_POST,
                    "GET" if req.method == "GET" else "a TC3-HMAC-SHA256 POST")
        ident = Identified(style="TC3-HMAC-SHA256", action=h.get("x-tc-action", "").strip(),
                           version=h.get("x-tc-version", "").strip(), region=h.get("x-tc-region", "").strip(),
                           timestamp=h.get("x-tc-timestamp", "").strip(), secret_id="",
                           token=h.get("x-tc-token", ""), language=h.get("x-tc-language", ""))
        if not ident.action:
            raise missing("X-TC-Action")
        ident.authz = parse_authorization(authorization)
        ident.secret_id = ident.authz.secret_id
        return ident
    if authorization:
        raise auth("SignatureFailure", "The Authorization header must use TC3-HMAC-SHA256.")
    # v1: every parameter travels in the query string (GET) or a form body (POST).
    if req.method == "POST":
        _check_size(req, MAX_V1_POST, "an HmacSHA1/HmacSHA256 POST")
        if req.media_type not in ("application/x-www-form-urlencoded", ""):
            if req.media_type in ("application/json", "multipart/form-data"):
                raise missing("Authorization")
            raise ApiError("InvalidParameter", f"Content-Type `{req.media_type}` is not supported: use "
                           "application/json or multipart/form-data with TC3-HMAC-SHA256, or "
                           "application/x-www-form-urlencoded with HmacSHA1/HmacSHA256.")
        text = params_mod.decode_text(req.body, "request body")
        try:
            pairs = parse_qsl(text, keep_blank_values=True, errors="strict") + list(req.query)
        except UnicodeDecodeError:
            raise ApiError("InvalidParameter", "The request body is not valid UTF-8 once percent-decoded.") from None
    else:
        _check_size(req, MAX_GET, "GET")
        pairs = list(req.query)
    got = {}
    for k, v in pairs:
        if k in V1_COMMON and k in got:
            raise ApiError("InvalidParameter", f"The parameter `{k}` is given more than once.")
        got.setdefault(k, v)
    if not got.get("Action"):
        raise missing("Action")
    ident = Identified(style="HmacSHA256" if got.get("SignatureMethod") == "HmacSHA256" else "HmacSHA1",
                       action=got["Action"], version=got.get("Version", ""), region=got.get("Region", ""),
                       timestamp=got.get("Timestamp", ""), secret_id=got.get("SecretId", ""),
                       token=got.get("Token", ""), language=got.get("Language", ""), v1_pairs=pairs)
    return ident


def resolve_service(req: HttpRequest, ident: Identified) -> registry.Service:
    """Host label first (cloudhsm.tencentcloudapi.com), then the credential scope (TC3), then the
    version (v1: each service here has versions of its own)."""
    host_svc = _host_service(req.headers.get("host", ""))
    if ident.authz is not None:
        scope_svc = registry.service_named(ident.authz.service)
        if host_svc is not None and scope_svc is not host_svc:
            raise auth("SignatureFailure", f"The credential scope names service `{ident.authz.service}`, "
                       f"but the request is for `{host_svc.name}`.")
        svc = host_svc or scope_svc
        if svc is None:
            raise ApiError("InvalidAction", f"The service `{ident.authz.service}` is not provided here.")
        return svc
    if not ident.version:
        raise missing("Version")
    if host_svc is not None:
        return host_svc
    candidates = registry.services_for_version(ident.version)
    if len(candidates) != 1:
        raise ApiError("NoSuchVersion", f"The API version `{ident.version}` does not exist.")
    return candidates[0]
