"""The values a parameter is replaced with. `Raw` is JSON text sent as it is: numbers and depths
that Python's own json.dumps will not produce (int-to-str is capped at 4300 digits, and
encoding recurses)."""
from dataclasses import dataclass
from typing import Any, Callable, Dict, List


@dataclass(frozen=True)
class Raw:
    json: str            # the value as JSON text
    flat_suffix: str     # flattened form: appended to the parameter's name ...
    flat_value: str      # ... with this value


def nested(depth: int) -> list:
    value: list = [0]
    for _ in range(depth - 1):
        value = [value]
    return value


def deep_raw(depth: int) -> Raw:
    return Raw("[" * depth + "0" + "]" * depth, ".0" * depth, "0")


HUGE_STRING = "x" * 1_100_000        # 1.1 MB: more than four times an SQS message
UNKNOWN = "unknown-parameter"        # a sibling the schema does not declare, not a value
LONE_SURROGATE = "lone-surrogate"

VALUES: Dict[str, Any] = {
    "type-string": "x",
    "type-int": 7,
    "type-bool": True,
    "type-null": None,
    "type-list": ["x", 1],
    "type-object": {"x": 1},
    "empty-string": "",
    LONE_SURROGATE: "a\ud800b",
    "nul": "a\x00b",
    "rtl-override": "\u202eevil.exe",
    "emoji": "\U0001f525\U0001f469\u200d\U0001f4bb",
    "combining-marks": "e" + "\u0301\u0308" * 40,
    "non-bmp": "\U0002070e\U0001d11e",
    "int-2^63": 2 ** 63,
    "int-2^63-1": 2 ** 63 - 1,
    "int--2^63-1": -2 ** 63 - 1,
    "int-2^64": 2 ** 64,
    "int-10^4400": Raw("1" + "0" * 4400, "", "1" + "0" * 4400),
    "float-1e308": 1e308,
    "float--0.0": -0.0,
    "deep-200": nested(200),
    "deep-10000": deep_raw(10_000),
}
KINDS: List[str] = [*VALUES, UNKNOWN]   # every kind each action must meet; HUGE_STRING is separate


def replace(value: Any) -> Callable[[Any, Any], None]:
    """mutate(holder, key) for shapes.place: the parameter becomes `value`."""
    def mutate(holder, key):
        holder[key] = value
    return mutate


def add_unknown(holder, key) -> None:
    if isinstance(holder, dict):
        holder["FuzzUnknown"] = "x"          # beside the field
    elif isinstance(holder[key], dict):
        holder[key]["FuzzUnknown"] = "x"     # inside the list element
    else:
        holder[key] = {"FuzzUnknown": "x"}


def mutator(kind: str) -> Callable[[Any, Any], None]:
    return add_unknown if kind == UNKNOWN else replace(VALUES[kind])
