"""Filter and paging semantics shared by the Describe* actions.

Lists are ordered by Id; Offset/Limit cut a page out of the filtered list and TotalCount is the
length of the filtered list. Fuzzy matches are case-insensitive substrings. A department filter
matches the department and the departments below it ("1.2" matches "1.2" and "1.2.3"; the root
"1" matches every record)."""
from typing import Callable, Iterable, List, Mapping, Optional, Sequence

from layers.gateway.errors import invalid_value
from layers.gateway.schema import Params, String


def page(items: Sequence, offset: int, limit: int) -> List:
    return list(items[offset:offset + limit])


def fuzzy(needle: Optional[str], *values: Optional[str]) -> bool:
    if not needle:
        return True
    n = needle.lower()
    return any(n in (v or "").lower() for v in values)


def in_department(record: dict, wanted: Optional[str]) -> bool:
    if not wanted:
        return True
    dep = record.get("DepartmentId") or "1"       # no department: the root "1"
    return dep == wanted or dep.startswith(wanted + ".")


def tags_match(tags: Iterable[dict], tag_filters) -> bool:
    """Every filter must hold: the tag key is present and, when values are given, has one of them."""
    if not tag_filters:
        return True
    have = {}
    for t in tags:
        have.setdefault(t["Key"], set()).add(t["Value"])
    for f in tag_filters:
        if f.TagKey not in have:
            return False
        if f.TagValue and not have[f.TagKey].intersection(f.TagValue):
            return False
    return True


def by_id(records: dict) -> List[dict]:
    return [records[k] for k in sorted(records)]


# ---- Filters: the SDK's Filter structure (Name, Values) ----

class Filter(Params):
    Name: String
    Values: List[String]


def check_filters(given: Optional[List[Filter]], allowed: Mapping[str, Callable]) -> None:
    """An unknown Name or an empty Values is InvalidParameterValue naming the filter."""
    for n, f in enumerate(given or ()):
        if f.Name not in allowed:
            raise invalid_value(f"Filters.{n}.Name", f"must be one of {', '.join(sorted(allowed))}")
        if not f.Values:
            raise invalid_value(f"Filters.{n}.Values", "must not be empty")


def by_filters(records: Iterable[dict], given: Optional[List[Filter]], allowed: Mapping[str, Callable]) -> List[dict]:
    """Every filter must hold; a filter holds when any of its Values matches. allowed maps a Name
    to match(record, value) -> bool."""
    out = list(records)
    for f in given or ():
        match = allowed[f.Name]
        out = [r for r in out if any(match(r, v) for v in f.Values)]
    return out
