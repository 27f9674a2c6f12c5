"""The interface every search backend implements, and what it answers with."""
import datetime as dt
from dataclasses import dataclass
from typing import List, Protocol, Sequence

from layers.search.query import Family, Record, Result, Search


class StoreUnavailable(Exception):
    """The store could not be reached, or refuses writes as a whole (full, read-only).
    Transient: the same request can succeed later."""


@dataclass
class ItemResult:
    id: str
    ok: bool                  # stored now, or stored before under the same id
    transient: bool = False   # failed, but may succeed later
    error: str = ""


class SearchStore(Protocol):
    def install(self, families: Sequence[Family]) -> None:
        """Make the store ready for these families (OpenSearch: their index templates)."""

    def search(self, search: Search) -> Result:
        """The records of the search, in order (time desc, id desc), `size` at most."""

    def write(self, family: Family, records: Sequence[Record]) -> List[ItemResult]:
        """Store each record in its day's partition unless one with its id is there (a redelivered
        record is stored once); one result per record, in order. Durable when it returns."""

    def days(self, family: Family) -> List[dt.date]:
        """The days that have a partition, oldest first."""

    def drop_day(self, family: Family, day: dt.date) -> bool:
        """Delete a day's partition; False if there was none."""

    def count(self, family: Family, day: dt.date) -> int:
        """Records in a day's partition."""

    def refresh(self, family: Family) -> None:
        """Make every record written so far searchable now (where writes are not at once)."""
