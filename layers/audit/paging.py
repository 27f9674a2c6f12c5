"""NextToken: where the next page starts, bound to the query it came from.

A token is `<payload>.<mac>`: the payload names the last event returned (EventTime, EventId) and
a fingerprint of the query (account, time range, attributes, search type, content); the mac is
an HMAC-SHA256 over it. Tokens never expire — the position is a point in the total order
(EventTime desc, EventId desc), not a server-side snapshot — so a changed byte, or a token
replayed with other query parameters, is refused instead of silently paging something else.
"""
import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Optional

from layers import aws
from layers.audit.config import audit_settings
from layers.gateway.errors import invalid_value

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,480}\.[A-Za-z0-9_-]{32}$")
_key_lock = threading.Lock()
_keys: dict = {}


@dataclass(frozen=True)
class Cursor:
    time: int          # EventTime (ms) of the last event returned
    event_id: str      # its EventId


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fingerprint(**query) -> str:
    canonical = json.dumps(query, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


def _signing_key() -> bytes:
    s = audit_settings()
    if s.token_key:
        return s.token_key.encode("utf-8")
    table = s.export_table
    with _key_lock:
        if table in _keys:
            return _keys[table]
        ddb = aws.client("dynamodb")
        item_key = {"pk": {"S": "#system"}, "sk": {"S": "next-token-key"}}
        try:
            ddb.put_item(TableName=table, Item={**item_key, "key": {"S": secrets.token_hex(32)}},
                         ConditionExpression="attribute_not_exists(pk)")
        except ddb.exceptions.ConditionalCheckFailedException:
            pass  # another process made it first: use that one
        key = ddb.get_item(TableName=table, Key=item_key, ConsistentRead=True)["Item"]["key"]["S"]
        _keys[table] = key.encode("utf-8")
        return _keys[table]


def _mac(payload: str) -> str:
    return _b64(hmac.new(_signing_key(), payload.encode("ascii"), hashlib.sha256).digest())[:32]


def encode(cursor: Cursor, query_fingerprint: str) -> str:
    payload = _b64(json.dumps({"v": 1, "t": cursor.time, "i": cursor.event_id, "q": query_fingerprint},
                              separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_mac(payload)}"


def decode(token: Optional[str], query_fingerprint: str, name: str = "NextToken") -> Optional[Cursor]:
    if not token:
        return None
    payload, _, mac = token.partition(".")
    if not _TOKEN.match(token) or not hmac.compare_digest(mac, _mac(payload)):
        raise invalid_value(name, "the token is not one this service issued, or it was altered")
    try:
        data = json.loads(_unb64(payload))
        cursor = Cursor(int(data["t"]), str(data["i"]))
        same_query = data["q"] == query_fingerprint
    except (ValueError, KeyError, TypeError):
        raise invalid_value(name, "the token cannot be read") from None
    if not same_query:
        raise invalid_value(name, "the token belongs to a query with other parameters; repeat the "
                            "parameters of the call that returned it")
    return cursor
