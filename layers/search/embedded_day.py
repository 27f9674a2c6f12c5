"""One day of one family: a tantivy index in its own directory.

Fields: `Id`, `AccountId` (raw terms), `Time` (i64, indexed and fast), `Order` (raw text fast
field, f"{time_ms:015d}{id}": its byte order is (time, id), the order of every search, and it
gives back a hit's time and id without reading the document), the family's fields, and `Source`
(bytes, stored only). Writes go through GroupCommit (embedded_commit.py). Only one process may
write a day (tantivy's lock file); any number may read it.
"""
import datetime as dt
import os
import shutil
import threading
from typing import Dict, List, Sequence, Set, Tuple

import tantivy

from layers.search.embedded_commit import GroupCommit
from layers.search.embedded_errors import PartitionDamaged, tantivy_errors
from layers.search.embedded_files import Damaged, check_index, field_specs
from layers.search.embedded_query import NUMBER, RAW, WORDS, Renderer, all_of, integer, keyword
from layers.search.query import DAY_MS, Family, Record, Search, day_start_ms
from layers.search.store import StoreUnavailable

Q = tantivy.Query
INTERNAL = ("Id", "AccountId", "Time", "Order", "Source")
KIND_OF_SPEC = {"text:raw": RAW, "text:whitespace": WORDS, "i64": NUMBER}
TIME_DIGITS = 15
MAX_TIME_MS = 253_402_300_799_999   # the end of year 9999, the last day a partition can be named for
# What OpenSearch refuses or leaves out, refused or left out alike: an id of more than 512
# bytes, a term of more than 32766 bytes (Lucene's limit), a `texts` value of more than 8191
# characters (stored, not searchable: the mapping's ignore_above).
MAX_ID_BYTES = 512
MAX_TERM_BYTES = 32766
MAX_TEXT_CHARS = 8191


def order_key(time_ms: int, record_id: str) -> str:
    return f"{time_ms:0{TIME_DIGITS}d}{record_id}"


def split_key(key: str) -> Tuple[int, str]:
    return int(key[:TIME_DIGITS]), key[TIME_DIGITS:]


def day_bounds(day: dt.date) -> Tuple[int, int]:
    start = day_start_ms(day)
    return start, start + DAY_MS - 1


def build_schema(family: Family) -> tantivy.Schema:
    clash = set(INTERNAL) & set(family.terms + family.words + family.numbers + family.texts)
    if clash:
        raise ValueError(f"family {family.prefix} uses reserved field names: {sorted(clash)}")
    sb = tantivy.SchemaBuilder()
    for name in ("Id", "AccountId"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("Time", indexed=True, fast=True)
    sb.add_text_field("Order", tokenizer_name="raw", index_option="basic", fast=True)
    for name in family.terms + family.texts:
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in family.words:
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="basic")
    for name in family.numbers:
        sb.add_integer_field(name, indexed=True)
    sb.add_bytes_field("Source", stored=True)
    return sb.build()


def _values(value) -> list:
    if value is None:
        return []
    return [v for v in value if v is not None] if isinstance(value, (list, tuple)) else [value]


def problem(family: Family, r: Record) -> str:
    """Why a record cannot be stored, or ""."""
    if not isinstance(r.id, str) or not r.id or len(r.id.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
        return f"the id must be a string of 1 to {MAX_ID_BYTES} bytes"
    if isinstance(r.time_ms, bool) or not isinstance(r.time_ms, int) or not 0 <= r.time_ms <= MAX_TIME_MS:
        return "the time must be milliseconds from 1970 to the end of year 9999"
    if not isinstance(r.account, str) or not isinstance(r.source, str) or not isinstance(r.fields, dict):
        return "the account and the source must be strings, the fields a dict"
    for name in family.numbers:
        if any(integer(v) is None for v in _values(r.fields.get(name))):
            return f"{name} must hold 64-bit integers"
    for name in family.terms + family.words:
        for value in _values(r.fields.get(name)):
            text = keyword(value)
            if _too_long(text) and (name not in family.words or any(_too_long(w) for w in text.split())):
                return f"a term of {name} is longer than {MAX_TERM_BYTES} bytes"
    return ""


def _too_long(term: str) -> bool:
    # UTF-8 takes 4 bytes a character at most: most terms need no encoding to be measured
    return len(term) > MAX_TERM_BYTES // 4 and len(term.encode("utf-8", "surrogatepass")) > MAX_TERM_BYTES


class DayIndex:
    def __init__(self, path: str, family: Family, day: dt.date, checked: Set[tuple], writer_heap: int):
        prefix = family.prefix
        self.path, self.prefix, self.day = path, prefix, day
        self.label = f"{prefix}-{day:%Y.%m.%d}"
        self.texts = frozenset(family.texts)
        self.writer_heap = writer_heap
        self.bounds = day_bounds(day)
        try:
            meta = check_index(path, checked)
        except Damaged as e:
            raise PartitionDamaged(prefix, day, str(e)) from None
        with tantivy_errors(self.damaged):
            self.index = tantivy.Index.open(path)
            self.index.searcher()  # opens every segment now, so a missing file shows here
        self.schema = self.index.schema
        specs = field_specs(meta)
        self.schema_key = tuple(specs.items())
        self.kinds: Dict[str, str] = {name: KIND_OF_SPEC[spec] for name, spec in specs.items()
                                      if name not in INTERNAL[1:] and spec in KIND_OF_SPEC}
        self.commits = GroupCommit(self)
        self.users = 0                        # searches and writes using it now (the store's count)
        self.last_write = 0.0

    @staticmethod
    def create(path: str, family: Family) -> None:
        """A new, empty index at `path`, made beside it and renamed into place, so that a
        directory that exists holds a whole index."""
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        tmp = os.path.join(parent, f".new-{os.path.basename(path)}-{os.getpid()}-{threading.get_ident()}")
        index = tantivy.Index(build_schema(family), path=_fresh_dir(tmp))
        del index
        try:
            os.rename(tmp, path)
        except OSError:
            if not os.path.isdir(path):
                raise
            _remove_tree(tmp)  # another process made it first
        _fsync_dir(parent)

    def damaged(self, why: str) -> PartitionDamaged:
        return PartitionDamaged(self.prefix, self.day, why)

    # -- reading -------------------------------------------------------------------------------

    def snapshot(self) -> "Snapshot":
        with tantivy_errors(self.damaged):
            return Snapshot(self, self.index.searcher())

    def num_docs(self) -> int:
        return self.snapshot().searcher.num_docs

    # -- writing -------------------------------------------------------------------------------

    def write(self, records: Sequence[Record]) -> None:
        self.commits.write(records)

    @property
    def writing(self) -> bool:
        return self.commits.writer is not None

    def close_writer(self) -> None:
        self.commits.close_writer()

    def close(self) -> None:
        self.commits.close()

    def open_writer(self) -> tantivy.IndexWriter:
        with tantivy_errors(self.unavailable):
            writer = self.index.writer(self.writer_heap, 1)
            self.index.reload()  # another process may have written it meanwhile
        return writer

    def unavailable(self, why: str) -> StoreUnavailable:
        if "LockBusy" in why:
            why = "another process is writing it"
        return StoreUnavailable(f"search partition {self.label} cannot be written: {why}")

    def stored_ids(self, ids: List[str]) -> Set[str]:
        # An id is in a day's index once at most (GroupCommit checks under its lock).
        distinct = list(dict.fromkeys(ids))
        keys = self.snapshot().keys(Q.term_set_query(self.schema, "Id", distinct), len(distinct))
        return {split_key(k)[1] for k, _ in keys}

    def document(self, r: Record) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("Id", r.id)
        doc.add_text("AccountId", r.account)
        doc.add_integer("Time", r.time_ms)
        doc.add_text("Order", order_key(r.time_ms, r.id))
        for name, value in r.fields.items():
            kind = self.kinds.get(name)
            if name == "Id" or kind is None:
                continue
            for v in _values(value):
                if kind == NUMBER:
                    doc.add_integer(name, integer(v))
                elif name not in self.texts or len(keyword(v)) <= MAX_TEXT_CHARS:
                    doc.add_text(name, keyword(v))
        doc.add_bytes("Source", r.source.encode("utf-8", "surrogatepass"))
        return doc


class Snapshot:
    """One consistent view of a day: every read of a search goes through the same searcher."""

    def __init__(self, day: DayIndex, searcher: tantivy.Searcher):
        self.day = day
        self.searcher = searcher

    def query(self, s: Search, lo: int, hi: int) -> tantivy.Query:
        """The search's records from `lo` to `hi` (ms, inclusive) in this day."""
        day = self.day
        aliases = {} if s.family.id_field in day.kinds else {s.family.id_field: "Id"}
        renderer = Renderer(day.schema, day.schema_key, day.kinds, self._terms, aliases)
        parts = [Q.term_query(day.schema, "AccountId", s.account)]
        start, end = day.bounds
        if lo > start or hi < end:
            parts.append(Q.range_query(day.schema, "Time", tantivy.FieldType.Integer, lo, hi))
        parts.extend(renderer.render(c) for c in s.where)
        return all_of(parts)

    def count(self, query: tantivy.Query) -> int:
        with tantivy_errors(self.day.damaged):
            return self.searcher.search(query, 1, count=True).count

    def keys(self, query: tantivy.Query, limit: int, offset: int = 0) -> list:
        """[(order key, address)] of the first `limit` records after `offset`, newest first."""
        with tantivy_errors(self.day.damaged):
            return self.searcher.search(query, limit, count=False, order_by_field="Order",
                                        offset=offset).hits

    def counted_keys(self, query: tantivy.Query, limit: int, offset: int = 0) -> Tuple[int, list]:
        with tantivy_errors(self.day.damaged):
            result = self.searcher.search(query, limit, count=True, order_by_field="Order", offset=offset)
        return result.count, result.hits

    def sources(self, addresses: list) -> List[str]:
        with tantivy_errors(self.day.damaged):
            return [self.searcher.doc(a).get_first("Source").decode("utf-8", "surrogatepass")
                    for a in addresses]

    def _terms(self, field: str, prefix: str) -> List[str]:
        with tantivy_errors(self.day.damaged):
            return [t for t, _ in self.searcher.terms_with_prefix(field, prefix)]


def _fresh_dir(path: str) -> str:
    _remove_tree(path)
    os.makedirs(path)
    return path


def _remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
