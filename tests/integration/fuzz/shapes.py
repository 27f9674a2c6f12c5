"""An action's input model as a tree of parameter shapes, a baseline value for each shape, and
the path of every parameter (nested fields and list elements included)."""
import types
import typing
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Tuple

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

Path = Tuple[typing.Union[str, int], ...]


@dataclass(frozen=True)
class Shape:
    kind: str                                   # str int float bool literal list object any
    item: Optional["Shape"] = None              # list
    fields: Tuple[Tuple[str, "Shape", bool], ...] = ()   # object: (name, shape, required)
    choices: Tuple[Any, ...] = ()               # literal
    low: Optional[int] = None
    high: Optional[int] = None
    min_len: int = 0

    def field(self, name: str) -> "Shape":
        return next(s for n, s, _ in self.fields if n == name)


def _constraints(metadata) -> dict:
    out: dict = {}
    for m in metadata:
        if isinstance(m, FieldInfo):
            out.update(_constraints(m.metadata))
        elif isinstance(m, annotated_types.Ge):
            out["low"] = int(m.ge)
        elif isinstance(m, annotated_types.Gt):
            out["low"] = int(m.gt) + 1
        elif isinstance(m, annotated_types.Le):
            out["high"] = int(m.le)
        elif isinstance(m, annotated_types.Lt):
            out["high"] = int(m.lt) - 1
        elif isinstance(m, annotated_types.MinLen):
            out["min_len"] = m.min_length
    return out


def shape_of(tp, metadata=()) -> Shape:
    metadata = list(metadata)
    while typing.get_origin(tp) is typing.Annotated:
        tp, *extra = typing.get_args(tp)
        metadata.extend(extra)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
        return shape_of(tp, metadata)
    c = _constraints(metadata)
    if origin is typing.Literal:
        return Shape("literal", choices=typing.get_args(tp))
    if origin in (list, typing.List):
        return Shape("list", item=shape_of(typing.get_args(tp)[0]), min_len=c.get("min_len", 0))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return model_shape(tp)
    kind = {str: "str", bool: "bool", int: "int", float: "float"}.get(tp, "any")
    return Shape(kind, low=c.get("low"), high=c.get("high"), min_len=c.get("min_len", 0))


def model_shape(model) -> Shape:
    return Shape("object", fields=tuple((name, shape_of(f.annotation, f.metadata), f.is_required())
                                        for name, f in model.model_fields.items()))


def baseline(shape: Shape) -> Any:
    """A value of the right type within any declared bounds (repair() fixes the formats)."""
    if shape.kind == "object":
        return {name: baseline(s) for name, s, required in shape.fields if required}
    if shape.kind == "list":
        return [baseline(shape.item) for _ in range(max(1, shape.min_len))]
    if shape.kind == "literal":
        return next((c for c in shape.choices if c != ""), shape.choices[0])
    if shape.kind == "int":
        value = 1 if shape.low is None else max(1, shape.low)
        return value if shape.high is None else min(value, shape.high)
    if shape.kind == "float":
        return 1.0
    if shape.kind == "bool":
        return True
    return "fuzz" if shape.min_len <= 4 else "f" * shape.min_len


def paths(shape: Shape, prefix: Path = ()) -> Iterator[Tuple[Path, Shape]]:
    """Every parameter below an object or list, depth first."""
    if shape.kind == "object":
        for name, s, _ in shape.fields:
            yield prefix + (name,), s
            yield from paths(s, prefix + (name,))
    elif shape.kind == "list":
        yield prefix + (0,), shape.item
        yield from paths(shape.item, prefix + (0,))


# Values tried, in turn, for a baseline value the schema refuses (formats such as IPs, phone
# numbers, e-mail addresses, times, ranges).
CANDIDATES = {
    str: ("fuzz-1", "10.0.0.1", "13800138000", "fuzz@example.com", "1", "2024-01-01 00:00:00",
          "2024-01-01T00:00:00+08:00", "ZnV6eg==", "00000000-0000-4000-8000-000000000000", "fuzzfuzz", "Linux"),
    int: (0, 10, 22, 100, 1000, 3600, 1_700_000_000, 1_700_000_000_000),
}


def _at(tree, loc):
    for step in loc[:-1]:
        tree = tree[step]
    return tree, loc[-1]


def _errors(model, tree) -> list:
    try:
        model.model_validate(tree, strict=True)
        return []
    except ValidationError as exc:
        return exc.errors(include_url=False)


def repair(model, tree: dict) -> dict:
    """Change the baseline values the schema refuses, one at a time, to the first candidate it
    takes, so that a mutation, not its neighbours, is what the gateway judges."""
    errors, tried = _errors(model, tree), set()
    while True:
        err = next((e for e in errors if e["loc"] not in tried), None)
        if err is None:
            return tree
        loc = err["loc"]
        tried.add(loc)
        try:
            holder, key = _at(tree, loc)
            current = holder[key]
        except (KeyError, IndexError, TypeError):
            continue
        for candidate in CANDIDATES.get(type(current), ()):
            holder[key] = candidate
            after = _errors(model, tree)
            if all(e["loc"] != loc for e in after):
                errors = after
                break
        else:
            holder[key] = current


def place(model, path: Path, mutate) -> dict:
    """The (repaired) baseline of `model` with every container along `path` present;
    `mutate(holder, key)` then changes holder[key], the parameter at `path`."""
    root = model_shape(model)
    top = {"_": baseline(root)}
    holder, key, shape = top, "_", root
    for step in path:
        node = holder[key]
        if shape.kind == "object":
            shape = shape.field(step)
            if step not in node:
                node[step] = baseline(shape)
            holder, key = node, step
        else:
            shape = shape.item
            if not node:
                node.append(baseline(shape))
            holder, key = node, 0
    repair(model, top["_"])
    mutate(holder, key)
    return top["_"]


def label(path: Path) -> str:
    return ".".join(str(p) for p in path) or "(none)"
