"""The one JSON body an audit event travels as: valid UTF-8 that the queue accepts, and small enough
for a queue message, an outbox item and a batch, whatever the request carried.

- Text that is not Unicode scalar values (a lone surrogate from a JSON `\\ud800` escape) becomes
  U+FFFD; U+FFFE and U+FFFF, which SQS refuses, are sent as JSON escapes.
- An event over MAX_EVENT_BYTES is made to fit, as CloudTrail omits oversized request parameters:
  each long text value of RequestParameters is replaced by a marker with its size and SHA-256
  (`<omitted due to size: 1153433 bytes, sha256 9f2c…>`); if the parameters are still too large,
  RequestParameters becomes {"OmittedDueToSize": true, "Bytes", "SHA256", "Names"}; then any other
  long field is cut with a marker. Secrets were redacted before: a digest is never of a secret.
"""
import hashlib
import json
import re
from typing import Any

from layers.gateway.text import scrub

MAX_EVENT_BYTES = 64 * 1024           # a queue message holds 256 KiB: ten of these need two calls at most
MAX_PARAMETERS_BYTES = 32 * 1024
MAX_VALUE_BYTES = 1024                # a text value kept whole once the event is too large
MAX_FIELD_BYTES = 2048                # any other field of an oversized event

_QUEUE_REFUSES = re.compile("[\ufffe\uffff]")


def _dumps(event: dict, ascii_only: bool = False) -> str:
    return json.dumps(event, ensure_ascii=ascii_only, separators=(",", ":"), default=str)


def _size(value: Any) -> int:
    return len(_dumps(value).encode("utf-8"))


def omitted(text: str) -> str:
    data = text.encode("utf-8")
    return f"<omitted due to size: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}>"


def _shorten_values(value: Any) -> Any:
    if isinstance(value, str):
        return omitted(value) if len(value.encode("utf-8")) > MAX_VALUE_BYTES else value
    if isinstance(value, dict):
        return {(k if len(k) <= MAX_VALUE_BYTES else omitted(k)): _shorten_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten_values(v) for v in value]
    return value


def _cut(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= MAX_FIELD_BYTES:
        return text
    head = data[:MAX_FIELD_BYTES // 2].decode("utf-8", "ignore")
    return f"{head}…{omitted(text)}"


def fit(event: dict) -> dict:
    """The event within MAX_EVENT_BYTES (see the module's docstring for what gives way first)."""
    event = dict(event)
    params = event.get("RequestParameters")
    if params is not None and _size(params) > MAX_PARAMETERS_BYTES:
        shortened = _shorten_values(params)
        if _size(shortened) > MAX_PARAMETERS_BYTES:
            text = _dumps(params)
            names = list(params)[:50] if isinstance(params, dict) else []
            shortened = {"OmittedDueToSize": True, "Bytes": len(text.encode("utf-8")),
                         "SHA256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                         "Names": [n if len(n) <= 128 else omitted(n) for n in names]}
        event["RequestParameters"] = shortened
    if _size(event) > MAX_EVENT_BYTES:
        for name, value in list(event.items()):
            if isinstance(value, str):
                event[name] = _cut(value)
        resources = event.get("Resources")
        if isinstance(resources, list) and _size(resources) > MAX_PARAMETERS_BYTES // 2:
            kept = [{k: _cut(v) if isinstance(v, str) else v for k, v in r.items()} for r in resources[:20]]
            event["Resources"] = kept
            event["ResourcesOmitted"] = len(resources) - len(kept)
    return event


def encode(event: dict) -> str:
    """The event's queue body. The common case costs one dumps and one encode."""
    body = _dumps(event)
    try:
        size = len(body.encode("utf-8"))
    except UnicodeEncodeError:
        event = scrub(event)
        body = _dumps(event)
        size = len(body.encode("utf-8"))
    if size > MAX_EVENT_BYTES:
        event = fit(event)
        body = _dumps(event)
    if _QUEUE_REFUSES.search(body):
        body = _dumps(event, ascii_only=True)
    return body
