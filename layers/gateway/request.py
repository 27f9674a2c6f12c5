"""The HTTP request as the gateway sees it, whatever delivered it.

API Gateway REST events (and Chalice, locally and deployed) carry the query string already
decoded into a map: the raw string the client signed is gone. TC3 signs that raw string, so
for GET we rebuild it: the parameters in the order received and sorted by name, each encoded
the way the official SDKs encode (Python/Go form encoding with '+' for space, RFC 3986 with
%20, and Java's URLEncoder). A signature that matches any candidate matches these exact
parameters, because every candidate encodes the same decoded pairs; no other input is trusted.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple
from urllib.parse import quote, quote_plus


@dataclass
class HttpRequest:
    method: str
    headers: dict                     # lower-case names
    query: List[Tuple[str, str]]      # decoded pairs, in the order received
    body: bytes = b""
    source_ip: str = ""
    raw_query: Optional[str] = None   # exact query string when the transport kept it
    extras: dict = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()


def _encoders():
    yield lambda s: quote_plus(s, safe="~")                 # Python urlencode, Go url.Values
    yield lambda s: quote(s, safe="~")                      # RFC 3986
    yield lambda s: quote_plus(s, safe="*").replace("~", "%7E")  # Java URLEncoder


def canonical_query_candidates(req: HttpRequest) -> List[str]:
    if req.raw_query is not None:
        return [req.raw_query]
    if not req.query:
        return [""]
    orders = [req.query]
    ordered = sorted(req.query, key=lambda kv: kv[0])
    if ordered != req.query:
        orders.append(ordered)
    seen, out = set(), []
    for pairs in orders:
        for enc in _encoders():
            text = "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)
            if text not in seen:
                seen.add(text)
                out.append(text)
    return out


def from_chalice(request) -> HttpRequest:
    """Chalice's Request (chalice local and API Gateway REST alike)."""
    multi = request.query_params
    pairs: List[Tuple[str, str]] = []
    if multi:
        for key in multi.keys():
            for value in multi.getlist(key):
                pairs.append((key, value))
    headers = {k.lower(): v for k, v in request.headers.items()}
    ctx = request.context or {}
    source_ip = ((ctx.get("identity") or {}).get("sourceIp")) or ""
    body = request.raw_body or b""
    return HttpRequest(method=request.method.upper(), headers=headers, query=pairs, body=body,
                       source_ip=source_ip)
