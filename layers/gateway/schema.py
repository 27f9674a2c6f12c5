"""Parameter types of the Tencent Cloud API, declared once per action with pydantic.

An action declares `class Input(Params)` with fields typed String, Int64, Uint64, Float, Bool,
DatetimeIso, list[T] and nested Params. Validation turns pydantic's errors into the API's codes:
MissingParameter, UnknownParameter, InvalidParameter (wrong type or shape) and
InvalidParameterValue (right type, value out of range), each naming the parameter.

Name-like parameters (`Name`, every `...Name`, and the display fields in NAME_FIELDS), at any
level, refuse control characters and bidirectional/format controls, which make a name display as
something else (`invoice` U+202E `fdp.exe` reads `invoiceexe.pdf`). Free text (command lists,
keywords, filter values, plaintext) keeps every character.
"""
import re
from datetime import datetime
from typing import Annotated, Any, Optional, Type

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from layers.gateway.errors import ApiError


def _iso(value: str) -> str:
    text = value.strip()
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("not an ISO 8601 datetime, e.g. 2021-09-22T00:00:00+08:00") from None
    return text


def _range(low: int, high: int):
    # A validator, not Field(ge=, le=): bounds declared in the type would silently override the
    # narrower Field(ge=..., le=...) an action puts on the same field.
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value
    return AfterValidator(check)


String = str
Int64 = Annotated[int, _range(-(2 ** 63), 2 ** 63 - 1)]
Uint64 = Annotated[int, _range(0, 2 ** 64 - 1)]
Float = float
Bool = bool
DatetimeIso = Annotated[str, AfterValidator(_iso)]


# Display fields not called `...Name`: a key's alias and description, a remark, a user's e-mail,
# a device account's name.
NAME_FIELDS = frozenset({"Alias", "Description", "Remark", "Email", "Account", "AccountSet"})
# C0 and C1 controls, DEL, the bidirectional marks, embeddings, overrides and isolates, the line and
# paragraph separators and the byte-order mark. Joiners and variation selectors stay: emoji need them.
_UNDISPLAYABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def is_name_like(field: str) -> bool:
    return field.endswith("Name") or field in NAME_FIELDS


def undisplayable(value: Any) -> Optional[str]:
    """The first refused character in a string or in the strings of nested lists, if any."""
    if isinstance(value, str):
        found = _UNDISPLAYABLE.search(value)
        return found.group() if found else None
    if isinstance(value, (list, tuple)):
        return next((c for c in map(undisplayable, value) if c is not None), None)
    return None


class Params(BaseModel):
    """Base of every action input and nested structure: unknown names are refused."""
    model_config = ConfigDict(extra="forbid", frozen=False, validate_default=False,
                              arbitrary_types_allowed=False, str_strip_whitespace=False)

    @field_validator("*")
    @classmethod
    def _displayable_names(cls, value: Any, info: ValidationInfo) -> Any:
        if is_name_like(info.field_name):
            char = undisplayable(value)
            if char is not None:
                # the code point only: echoing the value would carry the spoofing into the message
                raise ValueError(f"contains a control or bidirectional formatting character (U+{ord(char):04X})")
        return value


class NoParams(Params):
    pass


_MISSING = {"missing"}
_UNKNOWN = {"extra_forbidden"}
_VALUE = {
    "greater_than", "greater_than_equal", "less_than", "less_than_equal", "multiple_of",
    "string_too_short", "string_too_long", "too_short", "too_long", "string_pattern_mismatch",
    "literal_error", "enum", "value_error", "assertion_error", "finite_number",
}
_RANK = {"MissingParameter": 0, "UnknownParameter": 1, "InvalidParameter": 2, "InvalidParameterValue": 3}


def _name(loc) -> str:
    return ".".join(str(p) for p in loc) or "(body)"


def _describe(err: dict) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()), "")
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than": "<", "less_than_equal": "<="}[kind]
        return f"must be {op} {bound}"
    if kind in ("string_too_long", "too_long"):
        return f"must be at most {ctx.get('max_length')} long"
    if kind in ("string_too_short", "too_short"):
        return f"must be at least {ctx.get('min_length')} long"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return "has the wrong format"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err.get("msg", "")))
    if kind.startswith("int") or kind.startswith("float") or kind.startswith("bool") or kind.startswith(
            "string") or kind in ("list_type", "model_type", "model_attributes_type", "dict_type"):
        return _TYPE_NAMES.get(kind.split("_")[0], "has the wrong type")
    return err.get("msg", "is invalid")


_TYPE_NAMES = {
    "int": "must be an integer", "float": "must be a number", "bool": "must be a boolean",
    "string": "must be a string", "list": "must be an array", "model": "must be an object",
    "dict": "must be an object",
}


def to_api_error(exc: ValidationError) -> ApiError:
    best = None
    for err in exc.errors(include_url=False):
        kind = err["type"]
        name = _name(err["loc"])
        if kind in _MISSING:
            code, message = "MissingParameter", f"The parameter `{name}` is required."
        elif kind in _UNKNOWN:
            code, message = "UnknownParameter", f"The parameter `{name}` is not recognized."
        elif kind in _VALUE:
            code, message = "InvalidParameterValue", f"The value of parameter `{name}` is invalid: {_describe(err)}."
        else:
            code, message = "InvalidParameter", f"The parameter `{name}` is invalid: {_describe(err)}."
        if best is None or _RANK[code] < _RANK[best[0]]:
            best = (code, message)
    return ApiError(*best)


def validate(model: Type[Params], data: Any, *, strict: bool) -> Params:
    """strict=True for JSON bodies (types as the SDK sends them); False for flattened
    query/form values, which arrive as strings."""
    try:
        return model.model_validate(data, strict=strict)
    except ValidationError as exc:
        raise to_api_error(exc) from None
