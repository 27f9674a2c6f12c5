"""One API request, end to end: identify → verify → authorize → limit → validate → handle → envelope,
and one audit event for every request whose action could be identified."""
import fnmatch
import hmac
import logging
import re
import time
from typing import Callable, Optional, Tuple

from layers import identity, logs, regions
from layers.config import settings
from layers.gateway import envelope, params as params_mod, registry, replay, schema, signature_v1, signature_v3, text
from layers.gateway.action import REGION_IGNORED, REGION_REQUIRED, ActionSpec, RequestContext
from layers.gateway.audit_emitter import AuditEmitter
from layers.gateway.auth_limit import AuthFailureLimiter
from layers.gateway.audit_event import build as build_event
from layers.gateway.errors import ApiError, auth, missing
from layers.gateway.identify import V1_COMMON, Identified, identify, resolve_service
from layers.gateway.ratelimit import RateLimiter
from layers.gateway.request import HttpRequest, canonical_query_candidates
from layers.timeids import uuid7

log = logging.getLogger("guardzone.gateway")
_DIGITS = re.compile(r"[0-9]{1,19}")     # Timestamp and Nonce: ASCII digits that fit 64 bits


def policy_allows(policy, service: registry.Service, action: str) -> bool:
    names = (service.name, *service.aliases)
    return any(fnmatch.fnmatchcase(f"{name}:{action}", pattern) or pattern == "*"
               for pattern in policy for name in names)


class Gateway:
    def __init__(self, *, credentials: Optional[identity.CredentialCache] = None,
                 limiter: Optional[RateLimiter] = None, emitter: Optional[AuditEmitter] = None,
                 auth_limiter: Optional[AuthFailureLimiter] = None,
                 nonce_first_use: Callable[[str, str, str], bool] = replay.first_use,
                 clock: Callable[[], float] = time.time) -> None:
        self.credentials = credentials or identity.CredentialCache()
        self.limiter = limiter or RateLimiter()
        self.emitter = emitter or AuditEmitter()
        self.auth_limiter = auth_limiter or AuthFailureLimiter()
        self.nonce_first_use = nonce_first_use
        self.clock = clock

    def handle(self, req: HttpRequest) -> Tuple[int, dict, bytes]:
        ctx = RequestContext(request_id=str(uuid7()), service="", version="", action="", region="",
                             source_ip=req.source_ip, user_agent=req.headers.get("user-agent", ""))
        spec: Optional[ActionSpec] = None
        params: Optional[dict] = None
        style = ""
        try:
            if req.method not in ("GET", "POST"):
                ctx.action = req.headers.get("x-tc-action", "")
                raise ApiError("UnsupportedProtocol", f"HTTP method {req.method} is not supported: "
                               "only GET and POST are.")
            ident = identify(req)
            style = ident.style
            ctx.action, ctx.version, ctx.region = ident.action, ident.version, ident.region
            ctx.secret_id, ctx.language = ident.secret_id, ident.language or "zh-CN"
            text.check_pairs(ident.v1_pairs if ident.v1_pairs is not None else req.query)
            svc = resolve_service(req, ident)
            ctx.service = svc.name
            if not ident.version:
                raise missing("X-TC-Version")
            if ident.version not in svc.versions:
                raise ApiError("NoSuchVersion", f"The API version `{ident.version}` does not exist "
                               f"for {svc.name}; versions: {', '.join(svc.versions)}.")
            spec = registry.find_action(svc, ident.action)
            if spec is None or (spec.versions and ident.version not in spec.versions):
                raise ApiError("InvalidAction", f"The action `{ident.action}` does not exist in "
                               f"{svc.name} {ident.version}.")
            cred = self._authenticate(req, ident, ctx)
            if not cred.allows(lambda patterns: policy_allows(patterns, svc, spec.name),
                               signature_only=spec.signature_only):
                raise auth("UnauthorizedOperation", f"The caller is not authorized for {svc.name}:{spec.name}.")
            self._check_region(spec, ctx)
            # An account's own limit (set by an operator) wins over the action's documented one.
            limit = cred.rate_limit or spec.rate_limit or settings().default_rate_limit
            if not self.limiter.allow(cred.owner_uin, svc.name, spec.name, limit):
                raise ApiError("RequestLimitExceeded", f"More than {limit} requests per second for {spec.name}.")
            params = self._decode(req, ident)
            text.check_tree(params)
            validated = schema.validate(spec.input, params, strict=ident.style == "TC3-HMAC-SHA256"
                                        and req.method == "POST" and req.media_type == "application/json")
            fields = spec.handler(validated, ctx)
            body = envelope.success(ctx.request_id, fields)
            self._audit(ctx, spec, params, req.method, style)
            return 200, dict(envelope.HEADERS), body
        except ApiError as err:
            return self._fail(ctx, spec, params, req.method, style, err.code, err.message)
        except Exception as exc:
            log.error("unhandled error in %s:%s (request %s): %s", ctx.service, ctx.action, ctx.request_id,
                      logs.where(exc))
            return self._fail(ctx, spec, params, req.method, style, "InternalError",
                              "An internal error occurred; quote the RequestId when reporting it.")

    # ---- steps ----
    def _authenticate(self, req: HttpRequest, ident: Identified, ctx: RequestContext) -> identity.Credential:
        """The caller's credential. Until it is proven, the request names no one: a failure is
        recorded as unauthenticated (in the trail of the account whose SecretId it claimed, if any)
        and spends the sender's failure budget, which is checked before anything else."""
        if not self.auth_limiter.allow(req.source_ip, ident.secret_id):
            raise ApiError("RequestLimitExceeded", "Too many failed authentications from this address; "
                           "retry later.")
        try:
            cred = self._verify(req, ident, ctx)
        except ApiError:
            self.auth_limiter.failed(req.source_ip, ident.secret_id)
            raise
        ctx.uin, ctx.operator, ctx.authenticated = cred.uin, cred.operator, True
        ctx.temporary = cred.temporary
        ctx.bastion_user = cred.bastion_user
        return cred

    def _verify(self, req: HttpRequest, ident: Identified, ctx: RequestContext) -> identity.Credential:
        if not ident.timestamp:
            raise missing("X-TC-Timestamp" if ident.authz else "Timestamp")
        if not _DIGITS.fullmatch(ident.timestamp):
            raise ApiError("InvalidParameter", "The timestamp must be a UNIX time in seconds.")
        ts = int(ident.timestamp)
        nonce = self._nonce(ident)
        if abs(self.clock() - ts) > settings().max_clock_skew:
            raise auth("SignatureExpire", "The signature has expired: the timestamp differs from the "
                       f"server time by more than {settings().max_clock_skew} seconds.")
        if ident.authz is not None and ident.authz.date != signature_v3.scope_date(ts):
            raise auth("SignatureFailure", "The date of the credential scope must be the UTC date of X-TC-Timestamp.")
        if not ident.secret_id:
            raise missing("SecretId")
        if not identity.SECRET_ID.match(ident.secret_id):
            raise auth("InvalidSecretId", "The SecretId is not a valid API key id.")
        cred = self.credentials.get(ident.secret_id)
        if cred is None or not cred.enabled:
            raise auth("SecretIdNotFound", "The SecretId does not exist or is disabled.")
        ctx.account, ctx.app_id = cred.owner_uin, cred.app_id     # the account the key claims
        if not self._signature_ok(req, ident, cred):
            raise auth("SignatureFailure", "The provided credentials could not be validated. "
                       "Please check your signature is correct.")
        if cred.temporary:
            if not ident.token or not _same(ident.token, cred.token):
                raise auth("TokenFailure", "The token is missing or does not belong to the temporary key.")
            if cred.expires_at <= self.clock():
                raise auth("TokenFailure", "The temporary key and its token have expired.")
        elif ident.token:
            raise auth("TokenFailure", "A token was sent with a permanent key.")
        if nonce:
            if not self.nonce_first_use(cred.secret_id, nonce, ident.timestamp):
                raise auth("SignatureFailure", "The Nonce has already been used with this Timestamp: "
                           "the request is a replay.")
        return cred

    @staticmethod
    def _nonce(ident: Identified) -> str:
        """v1's Nonce ("" for TC3), checked for form before the signature is."""
        if ident.v1_pairs is None:
            return ""
        nonce = next((v for k, v in ident.v1_pairs if k == "Nonce"), "")
        if not nonce:
            raise missing("Nonce")
        if not _DIGITS.fullmatch(nonce) or int(nonce) <= 0:
            raise ApiError("InvalidParameter", "The parameter `Nonce` must be a positive integer.")
        return nonce

    def _signature_ok(self, req: HttpRequest, ident: Identified, cred: identity.Credential) -> bool:
        host = req.headers.get("host", "")
        if ident.authz is None:
            signature = next((v for k, v in ident.v1_pairs if k == "Signature"), "")
            if not signature:
                raise missing("Signature")
            method = next((v for k, v in ident.v1_pairs if k == "SignatureMethod"), "")
            to_sign = signature_v1.string_to_sign(req.method, host, ident.v1_pairs)
            return signature_v1.verify(cred.secret_key, to_sign, signature, method)
        body_hash = signature_v3.payload_hash(b"" if req.method == "GET" else req.body, req.headers)
        queries = canonical_query_candidates(req) if req.method == "GET" else [""]
        return signature_v3.verify(secret_key=cred.secret_key, authz=ident.authz, method=req.method,
                                   headers=req.headers, timestamp=ident.timestamp,
                                   canonical_queries=queries, body_hash=body_hash)

    @staticmethod
    def _check_region(spec: ActionSpec, ctx: RequestContext) -> None:
        if spec.region == REGION_IGNORED:
            return
        if not ctx.region:
            if spec.region == REGION_REQUIRED:
                raise missing("Region")
            return
        if not regions.is_known(ctx.region):
            raise ApiError("UnsupportedRegion", f"The region `{ctx.region}` is not supported.")

    @staticmethod
    def _decode(req: HttpRequest, ident: Identified) -> dict:
        if ident.authz is None:
            return params_mod.unflatten((k, v) for k, v in ident.v1_pairs if k not in V1_COMMON)
        if req.method == "GET":
            return params_mod.unflatten(req.query)
        media = req.media_type
        if media == "application/json":
            return params_mod.parse_json_body(req.body)
        if media == "multipart/form-data":
            return params_mod.parse_multipart(req.body, req.content_type)
        raise ApiError("InvalidParameter", f"Content-Type `{media or '(none)'}` is not supported with "
                       "TC3-HMAC-SHA256 POST: use application/json or multipart/form-data.")

    def _fail(self, ctx, spec, params, method, style, code, message):
        self._audit(ctx, spec, params, method, style, code, message)
        return 200, dict(envelope.HEADERS), envelope.error(ctx.request_id, code, message)

    def _audit(self, ctx, spec, params, method, style, code="", message="") -> None:
        if not ctx.action:
            return  # nothing names an action: there is no event to attribute
        fields = dict(ctx=ctx, spec=spec, http_method=method, signature_method=style, error_code=code,
                      error_message=message)
        try:
            event = build_event(params=params, **fields)
        except Exception as exc:    # parameters no event can hold: the event is kept without them
            log.error("request %s: parameters left out of its audit event (%s)", ctx.request_id,
                      type(exc).__name__)
            event = build_event(params={"OmittedAsUnreadable": True}, **fields)
        try:
            self.emitter.emit(event)
        except Exception:
            log.exception("audit event for request %s could not be kept", ctx.request_id)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
