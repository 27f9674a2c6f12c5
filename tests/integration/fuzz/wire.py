"""A case's parameters as a signed request, in each body encoding and signature style."""
import json
import time
from typing import Any, List, Tuple

from helpers import tc3_request, v1_request
from layers.gateway.request import HttpRequest

from .mutations import Raw

TC3_JSON = "tc3-json"
TC3_GET = "tc3-get"
TC3_MULTIPART = "tc3-multipart"
V1_GET = "v1-get-HmacSHA1"
V1_POST = "v1-post-HmacSHA256"
STYLES = (TC3_JSON, TC3_GET, TC3_MULTIPART, V1_GET, V1_POST)
FLAT = (TC3_GET, V1_GET, V1_POST)
BOUNDARY = "fuzz0boundary0f1e2d3c4b5a"
REGION = "ap-guangzhou"


def to_json(value: Any) -> str:
    """json.dumps (ASCII, so a lone surrogate travels as its \\ud800 escape) with Raw spliced in."""
    raws: List[str] = []

    def swap(v):
        if isinstance(v, Raw):
            raws.append(v.json)
            return f"@@fuzz-raw-{len(raws) - 1}@@"
        if isinstance(v, dict):
            return {k: swap(x) for k, x in v.items()}
        if isinstance(v, list):
            return [swap(x) for x in v]
        return v

    text = json.dumps(swap(value), ensure_ascii=True)
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@fuzz-raw-{i}@@"', raw, 1)
    return text


def flatten(value: Any, prefix: str = "") -> List[Tuple[str, str]]:
    """Query/form pairs as the SDKs flatten them (IdSet.0=1, Tags.0.TagKey=k)."""
    if isinstance(value, Raw):
        return [(prefix + value.flat_suffix, value.flat_value)]
    if isinstance(value, (dict, list)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return [pair for k, v in items for pair in flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    if value is None:
        return [(prefix, "")]
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    if isinstance(value, float):
        return [(prefix, json.dumps(value))]
    return [(prefix, str(value))]


def part(name: str, content: bytes, ctype: str = "") -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
    if ctype:
        head += f"Content-Type: {ctype}\r\n"
    return head.encode() + b"\r\n" + content + b"\r\n"


def multipart(params: dict, raw_parts: dict = None) -> bytes:
    """Strings as text parts, everything else as parts typed application/json; raw_parts are
    (already encoded) application/json parts that replace a parameter."""
    raw_parts = raw_parts or {}
    out = b""
    for name, value in params.items():
        if name in raw_parts:
            continue
        if isinstance(value, str):
            try:
                out += part(name, value.encode("utf-8"))
                continue
            except UnicodeEncodeError:
                pass    # a lone surrogate: only JSON's escape can carry it
        out += part(name, to_json(value).encode(), "application/json")
    for name, content in raw_parts.items():
        out += part(name, content, "application/json")
    return out + f"--{BOUNDARY}--\r\n".encode()


def tc3(account: dict, case, *, body: bytes = None, ctype: str = None, method: str = "POST",
        query: dict = None, secret_key: str = None) -> HttpRequest:
    return tc3_request(account, case.action, query or {}, service=case.service, version=case.version,
                       region=REGION, method=method, body=body, content_type=ctype,
                       scope_service=case.scope or None, secret_key=secret_key)


def v1(account: dict, case, params: dict, *, post: bool, **kw) -> HttpRequest:
    return v1_request(account, case.action, params, version=case.version, region=REGION,
                      method="POST" if post else "GET", sign_method="HmacSHA256" if post else "HmacSHA1", **kw)


def encode(account: dict, case, params: Any, style: str, secret_key: str = None) -> HttpRequest:
    if style == TC3_JSON:
        return tc3(account, case, body=to_json(params).encode(), secret_key=secret_key)
    if style == TC3_GET:
        return tc3(account, case, method="GET", query=dict(flatten(params)), secret_key=secret_key)
    if style == TC3_MULTIPART:
        return tc3(account, case, body=multipart(params),
                   ctype=f"multipart/form-data; boundary={BOUNDARY}", secret_key=secret_key)
    return v1(account, case, dict(flatten(params)), post=style == V1_POST, secret_key=secret_key)


# ---- requests that no parameter tree describes ----

def _arabic_indic(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def special(account: dict, case) -> HttpRequest:
    kind, params, target = case.mutation, case.params, case.target
    if kind == "wrong-signature":
        return encode(account, case, params, case.style, secret_key="not-the-" + account["SecretKey"])
    if kind == "multipart-not-json":
        return tc3(account, case, body=multipart(params, {target: b"{not json at all"}),
                   ctype=f"multipart/form-data; boundary={BOUNDARY}")
    if kind == "multipart-deep-5000":
        return tc3(account, case, body=multipart(params, {target: b"[" * 5000 + b"]" * 5000}),
                   ctype=f"multipart/form-data; boundary={BOUNDARY}")
    if kind == "form-%ff":
        # Signed as U+FFFD, sent as the byte 0xFF: a body that is not UTF-8 once decoded.
        req = v1(account, case, dict(flatten({**params, target: "\ufffd"})), post=True)
        req.body = req.body.replace(b"%EF%BF%BD", b"%ff")
        return req
    post = case.style == V1_POST
    flat = dict(flatten(params))
    now = str(int(time.time()))
    if kind == "nonce-arabic-indic":
        return v1(account, case, flat, post=post, nonce="١٢٣" + _arabic_indic(now[-6:]))
    if kind == "nonce-superscript":
        return v1(account, case, flat, post=post, nonce="²³¹")
    if kind == "nonce-5000-digits":
        return v1(account, case, flat, post=post, nonce="7" * 5000)
    if kind == "timestamp-arabic-indic":
        return v1(account, case, flat, post=post, timestamp=_arabic_indic(now))
    if kind == "timestamp-5000-digits":
        return v1(account, case, flat, post=post, timestamp="1" * 5000)
    if kind == "no-action-tc3":
        req = tc3(account, case, body=to_json(params).encode())
        del req.headers["x-tc-action"]
        return req
    if kind == "no-action-v1":
        req = v1(account, case, flat, post=False)
        req.query = [(k, v) for k, v in req.query if k != "Action"]
        return req
    raise ValueError(f"no such special request: {kind}")
