"""The bastion's OAuth sign-in pages (layers/bastion/oauth.py has the flow):

    GET /bastion/oauth/login?account=<OwnerUin>    -> 302 to the account's identity provider
    GET /bastion/oauth/callback?code=&state=       -> the one-time SSH credential, or why not

The callback URL the provider is given is GZ_BASTION_OAUTH_REDIRECT_URI when set (register that
URL at the provider), else the one this request came to (its scheme from X-Forwarded-Proto)."""
import os
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

from chalice import Blueprint, Response

from layers.bastion import oauth

bp = Blueprint(__name__)
LOGIN, CALLBACK = "/bastion/oauth/login", "/bastion/oauth/callback"


def _callback_url(request) -> str:
    configured = os.environ.get("GZ_BASTION_OAUTH_REDIRECT_URI")
    if configured:
        return configured
    headers = request.headers
    scheme = (headers.get("x-forwarded-proto") or "http").split(",")[0].strip().lower()
    path, route = request.context.get("path", LOGIN), request.context.get("resourcePath", LOGIN)
    prefix = path[:-len(route)] if path.endswith(route) else ""      # a deployed stage, e.g. /api
    return f"{scheme if scheme in ('http', 'https') else 'http'}://{headers.get('host', '')}{prefix}{CALLBACK}"


def _source_ip(request) -> str:
    return (request.context.get("identity") or {}).get("sourceIp", "")


def _cookie(request) -> str:
    try:
        jar = SimpleCookie(request.headers.get("cookie", ""))
    except CookieError:
        return ""
    morsel = jar.get(oauth.COOKIE)
    return morsel.value if morsel else ""


def _refused(exc: oauth.Refused, request, headers=None) -> Response:
    oauth.record(exc.account, user_name=exc.user_name, real_name=exc.real_name, source_ip=_source_ip(request),
                 ok=False, reason=exc.reason)
    return Response(oauth.refused_page(exc), status_code=exc.status, headers={**oauth.HEADERS, **(headers or {})})


@bp.route(LOGIN, methods=["GET"])
def login():
    request = bp.current_request
    callback = _callback_url(request)
    try:
        go = oauth.start((request.query_params or {}).get("account", ""), callback)
    except oauth.Refused as exc:
        return _refused(exc, request)
    cookie = oauth.cookie_header(go.cookie, urlsplit(callback).path, callback.startswith("https:"))
    return Response("", status_code=302, headers={**oauth.HEADERS, "Location": go.location, "Set-Cookie": cookie})


@bp.route(CALLBACK, methods=["GET"])
def callback():
    request = bp.current_request
    callback_url = _callback_url(request)
    clear = {"Set-Cookie": oauth.cookie_header("", urlsplit(callback_url).path, callback_url.startswith("https:"),
                                               max_age=0)}
    try:
        issued = oauth.finish(dict(request.query_params or {}), _cookie(request))
    except oauth.Refused as exc:
        return _refused(exc, request, clear)
    oauth.record(issued.account, user_name=issued.user_name, real_name=issued.real_name,
                 source_ip=_source_ip(request), ok=True, reason="ok")
    return Response(oauth.issued_page(issued), status_code=200, headers={**oauth.HEADERS, **clear})
