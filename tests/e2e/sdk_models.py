"""The official SDK's models read as data: for a model class, its fields, each field's JSON type,
the nested model it refers to, and whether the SDK documents that it may be null.

The SDK declares all of this in each model's __init__ docstring:
    :param _Name: description (a field that may be null says so: "可能返回 null" / "为null")
    :type Name: str | int | float | bool | list of str | list of Filter | :class:`...models.Filter`
"""
import importlib
import re
from dataclasses import dataclass
from typing import Dict, Optional

_PARAM = re.compile(r":param _?(\w+):(.*?)(?=\n\s*:type )", re.S)
_TYPE = re.compile(r":type (\w+):\s*(.+)")
_SCALARS = {"str": "str", "int": "int", "float": "float", "bool": "bool"}


@dataclass(frozen=True)
class FieldInfo:
    name: str
    kind: str                   # str, int, float, bool, object, list
    item: Optional[str] = None  # for lists: str/int/float/bool/object
    model: Optional[str] = None  # nested model class name (object, or list of objects)
    nullable: bool = False


def sdk_models(service: str, version: str):
    return importlib.import_module(f"tencentcloud.{service}.v{version.replace('-', '')}.models")


def _kind(text: str):
    text = text.strip().removesuffix(" non-negative")     # "list of int non-negative": a list of int
    if text.startswith("list of "):
        inner = text[len("list of "):].strip()
        if inner in _SCALARS:
            return "list", _SCALARS[inner], None
        return "list", "object", inner.rsplit(".", 1)[-1].strip("`")
    if text in _SCALARS:
        return _SCALARS[text], None, None
    match = re.search(r"models\.(\w+)`", text)
    if match:
        return "object", None, match.group(1)
    return "object", None, None    # e.g. a free-form map


def fields_of(models, class_name: str) -> Dict[str, FieldInfo]:
    cls = getattr(models, class_name)
    doc = cls.__init__.__doc__ or ""
    descriptions = {name: text for name, text in _PARAM.findall(doc)}
    result = {}
    for name, type_text in _TYPE.findall(doc):
        if name == "RequestId" and class_name.endswith("Response"):
            continue
        kind, item, model = _kind(type_text)
        desc = descriptions.get(name, "")
        nullable = "null" in desc.lower()
        result[name] = FieldInfo(name, kind, item, model, nullable)
    return result
