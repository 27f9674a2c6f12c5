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
from layers.gateway.text import MAX_DEPTH, shown

_INDEX = re.compile(r"^(0|[1-9][0-9]{0,5})$")


def _bad(message: str) -> ApiError:
    return ApiError("InvalidParameter", message)


def decode_text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(f"The {what} is not valid UTF-8.") from None


def _json(text: str, what: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(f"The {what} is not valid JSON: {exc.msg} at position {exc.pos}.") from None
    except ValueError as exc:       # a number of more than 4,300 digits
        raise _bad(f"The {what} is not valid JSON: {exc}.") from None
    except RecursionError:
        raise _bad(f"The {what} is nested more than {MAX_DEPTH} levels deep.") from None


def parse_json_body(body: bytes) -> dict:
    if not body.strip():
        return {}
    value = _json(decode_text(body, "request body"), "request body")
    if not isinstance(value, dict):
        raise _bad("The request body must be a JSON object.")
    return value


def parse_multipart(body: bytes, content_type: str) -> dict:
    """multipart/form-data: each part is one parameter; parts typed application/json hold
    arrays and objects (as the official SDKs send them)."""
    if "boundary=" not in content_type:
        raise _bad("multipart/form-data requires a boundary.")
    try:
        header = content_type.encode("latin-1")
    except UnicodeEncodeError:
        raise _bad("The Content-Type header is not valid.") from None
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + header + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise _bad("The multipart/form-data body could not be parsed.")
    params: dict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name or not isinstance(name, str):
            raise _bad("A multipart/form-data part has no name.")
        payload = part.get_payload(decode=True) or b""
        what = f"part `{shown(name)}`"
        if part.get_content_type() == "application/json":
            params[name] = _json(decode_text(payload, what), what) if payload.strip() else None
        elif part.get_filename() is not None:
            params[name] = payload
        else:
            params[name] = decode_text(payload, what)
    return params


def unflatten(pairs: Iterable[Tuple[str, str]]) -> dict:
    """[('Tags.0.TagKey', 'k'), ('IdSet.1', '2'), ('IdSet.0', '1')] -> {'Tags': [{'TagKey': 'k'}], 'IdSet': ['1', '2']}"""
    root: dict = {}
    for key, value in pairs:
        parts = key.split(".")
        if any(p == "" for p in parts):
            raise _bad(f"The parameter name `{shown(key)}` is malformed.")
        if len(parts) > MAX_DEPTH:
            raise _bad(f"The parameter `{shown(parts[0])}` is nested more than {MAX_DEPTH} levels deep.")
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
