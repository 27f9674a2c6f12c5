"""A search, as every caller states it and every backend must answer it.

Records live in daily partitions of a family (`<prefix>-YYYY.MM.DD`, the UTC day of the record's
time) and come back in one total order: time descending, then id descending. A search names the
family, the account (a record of another account is never returned), a time range (inclusive),
clauses that must all hold, and where to resume: `after` is the (time, id) of the last record
already returned, and the next ones are strictly after it in that order, so paging never skips or
repeats a record however many arrive meanwhile. `offset` skips records for callers paging by
number (the bastion's Offset/Limit); `count` asks for the number of records matching in all.

Clauses:
    Term(field, values)          the field holds one of the values exactly (a multi-valued
                                 field: any of its values)
    Contains(field, text, prefix) a value of the field starts with `prefix` (literally) and
                                 contains `text` after it, ignoring case
    AnyOf(clauses), AllOf(clauses)  or / and
"""
import datetime as dt
from dataclasses import dataclass, field
from typing import Optional, Tuple, Union


DAY_MS = 86_400_000
_EPOCH = dt.date(1970, 1, 1)


def day_of(time_ms: int) -> dt.date:
    """The UTC day a time (epoch milliseconds) falls on: the partition that holds its record."""
    return _EPOCH + dt.timedelta(days=time_ms // DAY_MS)


def day_start_ms(day: dt.date) -> int:
    return (day - _EPOCH).days * DAY_MS


@dataclass(frozen=True)
class Family:
    """A kind of record and how its fields are indexed. `terms`: string fields matched exactly
    (each may hold several values); `words`: fields of whitespace-separated words, each word a
    term; `numbers`: integer fields matched exactly; `texts`: fields searched by Contains. Every
    family also has `AccountId`, the time and the id."""
    prefix: str
    terms: Tuple[str, ...] = ()
    words: Tuple[str, ...] = ()
    numbers: Tuple[str, ...] = ()
    texts: Tuple[str, ...] = ()
    # Names of the id, time and source fields in an OpenSearch document (the embedded store
    # names its own): CloudAudit keeps the names its deployed indices have always had.
    id_field: str = "Id"
    time_field: str = "Time"
    source_field: str = "Source"

    def partition(self, day) -> str:
        return f"{self.prefix}-{day:%Y.%m.%d}"


@dataclass(frozen=True)
class Term:
    field: str
    values: Tuple[Union[str, int], ...]


@dataclass(frozen=True)
class Contains:
    field: str
    text: str
    prefix: str = ""


@dataclass(frozen=True)
class AnyOf:
    clauses: Tuple["Clause", ...]


@dataclass(frozen=True)
class AllOf:
    clauses: Tuple["Clause", ...]


Clause = Union[Term, Contains, AnyOf, AllOf]


@dataclass(frozen=True)
class Search:
    family: Family
    account: str
    start_ms: int
    end_ms: int
    where: Tuple[Clause, ...] = ()
    after: Optional[Tuple[int, str]] = None
    size: int = 20
    offset: int = 0
    count: bool = False


@dataclass
class Record:
    """What a backend stores: `fields` holds the family's terms/words/numbers/texts (a list for
    several values); `source` is returned as it is (a JSON string)."""
    id: str
    time_ms: int
    account: str
    fields: dict = field(default_factory=dict)
    source: str = ""


@dataclass
class Hit:
    time_ms: int
    id: str
    source: str


@dataclass
class Result:
    hits: list
    total: Optional[int] = None       # with Search.count
