"""Request bodies and query strings -> one parameter tree.

JSON bodies decode as they are. Flattened query/form parameters (`IdSet.0=1`, `Tags.0.TagKey=k`)
decode to the same nested lists and objects, with string leaves that the action's schema then
coerces, so `IdSet.0=1&IdSet.1=2` and `{"IdSet": [1, 2]}` reach the handler as the same value.
"""
import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from typing import Iterable, Tuple

from layers.gateway.errors import ApiError

_INDEX = re.compile(r"^(0|[1-9][0-9]{0,5})$")


def _bad(message: str) -> ApiError:
    return ApiError("InvalidParameter", message)


def decode_text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(f"The {what} is not valid UTF-8.") from None


def parse_json_body(body: bytes) -> dict:
    if not body.strip():
        return {}
    text = decode_text(body, "request body")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise _bad(f"The request body is not valid JSON: {exc.msg} at position {exc.pos}.") from None
    if not isinstance(value, dict):
        raise _bad("The request body must be a JSON object.")
    return value


def parse_multipart(body: bytes, content_type: str) -> dict:
    """multipart/form-data: each part is one parameter; parts typed application/json hold
    arrays and objects (as the official SDKs send them)."""
    if "boundary=" not in content_type:
        raise _bad("multipart/form-data requires a boundary.")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise _bad("The multipart/form-data body could not be parsed.")
    params: dict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise _bad("A multipart/form-data part has no name.")
        payload = part.get_payload(decode=True) or b""
        if part.get_content_type() == "application/json":
            params[name] = json.loads(decode_text(payload, f"part `{name}`")) if payload.strip() else None
        elif part.get_filename() is not None:
            params[name] = payload
        else:
            params[name] = decode_text(payload, f"part `{name}`")
    return params


def unflatten(pairs: Iterable[Tuple[str, str]]) -> dict:
    """[('Tags.0.TagKey', 'k'), ('IdSet.1', '2'), ('IdSet.0', '1')] -> {'Tags': [{'TagKey': 'k'}], 'IdSet': ['1', '2']}"""
    root: dict = {}
    for key, value in pairs:
        parts = key.split(".")
        if any(p == "" for p in parts):
            raise _bad(f"The parameter name `{key}` is malformed.")
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                if part in node:
                    raise _bad(f"The parameter `{key}` is given more than once.")
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise _bad(f"The parameter `{'.'.join(parts[:i + 1])}` is both a value and a structure.")
                node = child
    return _lists(root, "")


def _lists(node, path: str):
    """Turn dicts whose keys are all 0..n-1 into lists."""
    if not isinstance(node, dict):
        return node
    if node and all(_INDEX.match(k) for k in node):
        indices = sorted(int(k) for k in node)
        if indices != list(range(len(indices))):
            raise _bad(f"The array parameter `{path}` must be numbered from 0 without gaps.")
        return [_lists(node[str(i)], f"{path}.{i}") for i in indices]
    return {k: _lists(v, f"{path}.{k}" if path else k) for k, v in node.items()}
