"""The two server-side calls of an OAuth 2.0 authorization-code sign-in (RFC 6749 §4.1):

    exchange(provider, code, redirect_uri) -> access token       POST TokenUrl (client_secret_basic)
    user_info(provider, token) -> dict                           GET UserInfoUrl (Bearer token)

Standard library only (urllib). The URLs are the account administrator's, so the calls are kept
narrow: no redirects are followed, a link-local destination (the cloud metadata address
169.254.169.254 and the like) is refused, answers are read up to 64 KiB, each call has a 10 s
timeout, and TLS certificates are verified. Private and loopback addresses are allowed: identity
providers often live in the customer's own network. Any failure is ProviderError with a one-line
reason that holds neither the client secret nor a token.
"""
import base64
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

from layers.bastion.oauth_setting import Provider

TIMEOUT = 10.0
MAX_ANSWER = 64 * 1024


class ProviderError(Exception):
    """The provider refused or answered something unusable."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise ProviderError(f"the provider answered a redirect ({code}); give the endpoint's final URL")


_opener = urllib.request.build_opener(_NoRedirect())


def _check_destination(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        raise ProviderError(f"cannot resolve {host}") from None
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%")[0])
        addr = getattr(addr, "ipv4_mapped", None) or addr
        if addr.is_link_local or addr.is_multicast or addr.is_unspecified:
            raise ProviderError(f"{host} resolves to {addr}, an address sign-in does not call")


def _call(request: urllib.request.Request, what: str) -> tuple:
    _check_destination(request.full_url)
    try:
        with _opener.open(request, timeout=TIMEOUT) as resp:
            body = resp.read(MAX_ANSWER + 1)
            status, ctype = resp.status, resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        body, status, ctype = exc.read(MAX_ANSWER + 1), exc.code, exc.headers.get("Content-Type", "")
    except ProviderError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProviderError(f"the {what} endpoint could not be reached ({type(reason).__name__})") from None
    if len(body) > MAX_ANSWER:
        raise ProviderError(f"the {what} endpoint's answer is larger than {MAX_ANSWER} bytes")
    return status, ctype, body


def _decode(ctype: str, body: bytes, what: str) -> dict:
    try:
        if "application/x-www-form-urlencoded" in ctype:
            return dict(parse_qsl(body.decode("utf-8")))
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ProviderError(f"the {what} endpoint's answer is not JSON") from None
    if not isinstance(data, dict):
        raise ProviderError(f"the {what} endpoint's answer is not a JSON object")
    return data


def _error_of(data: dict) -> str:
    """The provider's own error code (RFC 6749 §5.2), short and printable."""
    code = data.get("error")
    return "".join(c for c in str(code)[:64] if c.isprintable()) if code else ""


def exchange(provider: Provider, code: str, redirect_uri: str) -> str:
    """The authorization code for an access token."""
    basic = base64.b64encode(f"{quote_plus(provider.client_id)}:{quote_plus(provider.client_secret)}"
                             .encode("utf-8")).decode("ascii")
    form = urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}).encode()
    request = urllib.request.Request(provider.token_url, data=form, method="POST", headers={
        "Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json"})
    status, ctype, body = _call(request, "token")
    data = _decode(ctype, body, "token")
    if status != 200 or _error_of(data):
        raise ProviderError(f"the token endpoint refused the code (HTTP {status}"
                            f"{', ' + _error_of(data) if _error_of(data) else ''})")
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise ProviderError("the token endpoint's answer has no access_token")
    if str(data.get("token_type", "Bearer")).lower() != "bearer":
        raise ProviderError("the token endpoint handed out a token that is not a Bearer token")
    return token


def user_info(provider: Provider, token: str) -> dict:
    """The signed-in user's claims."""
    request = urllib.request.Request(provider.userinfo_url, method="GET", headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json"})
    status, ctype, body = _call(request, "user info")
    if status != 200:
        raise ProviderError(f"the user info endpoint refused the token (HTTP {status})")
    return _decode(ctype, body, "user info")
