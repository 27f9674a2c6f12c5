"""What every decoded request parameter must be before anything uses it: text made of Unicode
scalar values (a JSON `\\ud800` escape decodes to a lone surrogate, which no store, queue or UTF-8
encoder takes) in a tree at most MAX_DEPTH levels deep (the deepest structure any action declares
is a few levels; recursion limits are far below what a 10 MB body can nest)."""
import re
from typing import Any

from layers.gateway.errors import ApiError

MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def scrub(value: Any) -> Any:
    """value with every text (keys too) made of scalar values: a lone surrogate becomes U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if has_surrogate(value) else value
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def shown(name: str, limit: int = 128) -> str:
    """A parameter name as an error message quotes it: at most `limit` characters."""
    return name if len(name) <= limit else name[:limit] + "…"


def check_tree(value: Any) -> None:
    """InvalidParameter naming the first parameter that is not scalar-value text or is nested too deep."""
    stack = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ApiError("InvalidParameter", f"The parameter `{shown(path.split('.')[0]) or '(body)'}` is nested "
                           f"more than {MAX_DEPTH} levels deep.")
        if isinstance(node, str):
            if has_surrogate(node):
                raise ApiError("InvalidParameter", f"The parameter `{shown(path) or '(body)'}` is not valid Unicode "
                               "text (it contains a lone UTF-16 surrogate).")
        elif isinstance(node, dict):
            for key, child in node.items():
                if has_surrogate(key):
                    raise ApiError("InvalidParameter", f"A parameter name under `{shown(path) or '(body)'}` is not "
                                   "valid Unicode text (it contains a lone UTF-16 surrogate).")
                stack.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(node, list):
            stack.extend((child, f"{path}.{i}", depth + 1) for i, child in enumerate(node))


def check_pairs(pairs) -> None:
    """The same rule for (name, value) pairs as a query string or form body carries them."""
    for name, value in pairs:
        if has_surrogate(name) or has_surrogate(value):
            raise ApiError("InvalidParameter", f"The parameter `{shown(scrub(name))}` is not valid Unicode "
                           "text (it contains a lone UTF-16 surrogate).")
