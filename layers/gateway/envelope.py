"""The response envelope every action answers with."""
import json

from layers.gateway.text import scrub

HEADERS = {"Content-Type": "application/json"}   # the SDKs recognise errors only with exactly this


def _encode(response: dict) -> bytes:
    text = json.dumps({"Response": response}, ensure_ascii=False, separators=(",", ":"), default=str)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:      # a lone surrogate echoed from the request
        return json.dumps({"Response": scrub(response)}, separators=(",", ":"), default=str).encode("ascii")


def success(request_id: str, fields: dict) -> bytes:
    body = dict(fields or {})
    body["RequestId"] = request_id
    return _encode(body)


def error(request_id: str, code: str, message: str) -> bytes:
    return _encode({"Error": {"Code": code, "Message": message}, "RequestId": request_id})
