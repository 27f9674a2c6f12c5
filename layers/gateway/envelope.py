"""The response envelope every action answers with."""
import json

HEADERS = {"Content-Type": "application/json"}   # the SDKs recognise errors only with exactly this


def success(request_id: str, fields: dict) -> bytes:
    body = dict(fields or {})
    body["RequestId"] = request_id
    return json.dumps({"Response": body}, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def error(request_id: str, code: str, message: str) -> bytes:
    return json.dumps({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
