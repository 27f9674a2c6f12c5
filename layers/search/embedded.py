"""The search store on one machine: tantivy indices on disk, one per family and UTC day
(`<directory>/<prefix>/<YYYY.MM.DD>/`), so that dropping a day is deleting a directory.

Days are opened when first used and kept open (at most `max_open_days`, least recently used
closed first); a day's writer (tantivy's lock, a 15 MB heap, threads) is held only while the day
is written: at most `max_writers` at once, and none idle for longer than `writer_idle_s`.
A process that writes a directory excludes every other from writing it (tantivy's lock file:
the other's writes fail as StoreUnavailable); other processes may read it, and see each commit
within about a second.

tantivy's threads (each writer's, merges) each get a glibc malloc arena that keeps what they
freed: at 1 M records that is ~250 MB more resident memory than with two arenas, so the store
limits the process to `malloc_arenas` (None leaves it alone).
"""
import ctypes
import datetime as dt
import logging
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

import tantivy

from layers.search.embedded_day import MAX_TIME_MS, DayIndex, Snapshot, day_bounds, order_key, problem, split_key
from layers.search.embedded_errors import PartitionDamaged, tantivy_errors
from layers.search.embedded_files import Damaged, check_file, read_meta, segment_files
from layers.search.query import Family, Hit, Record, Result, Search, day_of
from layers.search.store import ItemResult, StoreUnavailable

__all__ = ["EmbeddedStore", "PartitionDamaged"]

log = logging.getLogger("guardzone.search")

M_ARENA_MAX = -8   # mallopt's parameter
LEFTOVER_S = 600
AHEAD_FIRST = 64   # records sharing the cursor's millisecond read at once to find the cursor


def _day_named(name: str) -> Optional[dt.date]:
    """The day a partition's folder names (YYYY.MM.DD), or None: a folder being made or dropped.
    Every search lists the days, so this is read without strptime (a tenth of a month's search)."""
    digits = name[:4] + name[5:7] + name[8:]
    if len(name) != 10 or name[4] != "." or name[7] != "." or not (digits.isascii() and digits.isdigit()):
        return None
    try:
        return dt.date(int(name[:4]), int(name[5:7]), int(name[8:]))
    except ValueError:
        return None


def _limit_malloc_arenas(arenas: int) -> None:
    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass  # not glibc


def _remove_leftovers(directory: str) -> None:
    """Days half made or half dropped by a process that died (older than LEFTOVER_S: a
    process may be making one now)."""
    now = time.time()
    for family in os.scandir(directory):
        if not family.is_dir():
            continue
        for entry in os.scandir(family.path):
            if entry.name.startswith((".new-", ".drop-")) and now - entry.stat().st_mtime > LEFTOVER_S:
                shutil.rmtree(entry.path, ignore_errors=True)


def _writer_lock(path: str, label: str):
    """The day's writer, held while it is dropped; None when the day cannot be opened (missing or
    damaged: nothing can be writing it). StoreUnavailable if another process writes it."""
    try:
        index = tantivy.Index.open(path)
    except Exception:
        return None
    try:
        return index.writer(15_000_000, 1)
    except ValueError as e:
        if "LockBusy" in str(e):
            raise StoreUnavailable(f"cannot drop {label}: another process is writing it") from None
        return None


def _quietly(close) -> None:
    """Let a day or its writer go after the operation that used it succeeded: a failure here
    (its records are committed) is logged, not reported as the operation's."""
    try:
        close()
    except StoreUnavailable as e:
        log.warning("closing a search partition failed: %s", e)


class EmbeddedStore:
    def __init__(self, directory: str, *, max_open_days: int = 64, max_writers: int = 4,
                 writer_idle_s: float = 60.0, writer_heap: int = 15_000_000, malloc_arenas: Optional[int] = 2):
        self.directory = os.path.abspath(directory)
        self.max_open_days, self.max_writers = max_open_days, max_writers
        self.writer_idle_s, self.writer_heap = writer_idle_s, writer_heap
        self._lock = threading.Lock()
        self._open: "OrderedDict[Tuple[str, dt.date], DayIndex]" = OrderedDict()
        self._checked: Set[tuple] = set()   # segment files whose checksums held
        os.makedirs(self.directory, exist_ok=True)
        _remove_leftovers(self.directory)
        if malloc_arenas:
            _limit_malloc_arenas(malloc_arenas)

    # -- the interface -------------------------------------------------------------------------

    def install(self, families: Sequence[Family]) -> None:
        """Nothing to prepare: a day's index takes its family's fields when it is made."""

    def refresh(self, family: Family) -> None:
        """Nothing to do: a record is searchable once `write` returns."""

    def search(self, search: Search) -> Result:
        if search.after is not None and search.offset:
            raise ValueError("a search resumes after a record or skips an offset, not both")
        upper, cursor = search.end_ms, None
        if search.after is not None and search.after[0] <= search.end_ms:
            upper, cursor = search.after[0], order_key(*search.after)
        hits: List[Hit] = []
        skip, total = search.offset, 0
        for day in reversed(self._days_within(search.family, search.start_ms, upper)):
            if len(hits) == search.size and not (search.count and search.after is None):
                break
            with self._day(search.family, day) as part:
                snap = part.snapshot()
                matching, page = self._read_day(snap, search, upper, cursor, skip, search.size - len(hits))
            total += matching
            skip = max(0, skip - matching)
            hits.extend(page)
        if search.count and search.after is not None:
            total = self._count(search)
        self._release_writers()
        return Result(hits=hits, total=total if search.count else None)

    def write(self, family: Family, records: Sequence[Record]) -> List[ItemResult]:
        results = [ItemResult(id=getattr(r, "id", ""), ok=True) for r in records]
        by_day: Dict[dt.date, List[Record]] = {}
        for r, result in zip(records, results):
            why = problem(family, r)
            if why:
                result.ok, result.error = False, why
            else:
                by_day.setdefault(day_of(r.time_ms), []).append(r)
        for day, batch in by_day.items():
            with self._day(family, day, create=True) as part:
                part.write(batch)
                part.last_write = time.monotonic()
        self._release_writers()
        return results

    def days(self, family: Family) -> List[dt.date]:
        try:
            names = os.listdir(os.path.join(self.directory, family.prefix))
        except FileNotFoundError:
            return []
        return sorted(d for d in map(_day_named, names) if d is not None)

    def drop_day(self, family: Family, day: dt.date) -> bool:
        path = self._path(family, day)
        with self._lock:
            part = self._open.pop((family.prefix, day), None)
        if part is not None:
            part.close()
        trash = os.path.join(os.path.dirname(path), f".drop-{uuid.uuid4().hex}")
        held = _writer_lock(path, family.partition(day))    # no other process may be writing it
        try:
            os.rename(path, trash)  # at once: a day is either whole or gone
        except FileNotFoundError:
            return False
        except OSError as e:
            raise StoreUnavailable(f"cannot drop {family.partition(day)}: {e}") from None
        finally:
            del held
        shutil.rmtree(trash, ignore_errors=True)
        with self._lock:
            self._checked = {k for k in self._checked if not k[0].startswith(path + os.sep)}
        return True

    def count(self, family: Family, day: dt.date) -> int:
        if not os.path.isdir(self._path(family, day)):
            return 0
        with self._day(family, day) as part:
            return part.num_docs()

    # -- beyond the interface ------------------------------------------------------------------

    def check(self, family: Family, day: dt.date) -> int:
        """Read every file of a day's index against its checksum, then every record's key:
        the number of records, or PartitionDamaged."""
        path = self._path(family, day)
        try:
            for name in segment_files(read_meta(path)):
                check_file(os.path.join(path, name))
        except Damaged as e:
            raise PartitionDamaged(family.prefix, day, str(e)) from None
        with self._day(family, day) as part:
            snap = part.snapshot()
            total = snap.searcher.num_docs
            if total and len(snap.keys(tantivy.Query.all_query(), total)) != total:
                raise part.damaged("fewer records can be read than it counts")
            return total

    def close(self) -> None:
        """Commit what is waiting and let every index go; the store reopens them if used again."""
        with self._lock:
            parts, self._open = list(self._open.values()), OrderedDict()
        for part in parts:
            part.close()

    # -- searching -----------------------------------------------------------------------------

    def _read_day(self, snap: Snapshot, s: Search, upper: int, cursor: Optional[str],
                  skip: int, want: int) -> Tuple[int, List[Hit]]:
        """(records of the day after the cursor, the page's hits from it after skipping `skip`)."""
        start, end = day_bounds(snap.day.day)
        query = snap.query(s, max(s.start_ms, start), min(upper, end))
        ahead = 0
        if cursor is not None and start <= upper <= end:
            ahead = self._ahead(snap, s, upper, cursor)
        if want <= 0:
            return snap.count(query) - ahead, []
        matching, keys = snap.counted_keys(query, want, offset=ahead + skip)
        sources = snap.sources([address for _, address in keys])
        return matching - ahead, [Hit(*split_key(k), source) for (k, _), source in zip(keys, sources)]

    @staticmethod
    def _ahead(snap: Snapshot, s: Search, time_ms: int, cursor: str) -> int:
        """How many matching records of the cursor's millisecond are not after it: they come
        first in the day's order and are skipped by offset."""
        query = snap.query(s, time_ms, time_ms)
        matching, keys = snap.counted_keys(query, AHEAD_FIRST)
        if matching > len(keys):
            keys = snap.keys(query, matching)
        return sum(1 for k, _ in keys if k >= cursor)

    def _count(self, s: Search) -> int:
        total = 0
        for day in self._days_within(s.family, s.start_ms, s.end_ms):
            with self._day(s.family, day) as part:
                snap = part.snapshot()
                start, end = day_bounds(day)
                total += snap.count(snap.query(s, max(s.start_ms, start), min(s.end_ms, end)))
        return total

    def _days_within(self, family: Family, start_ms: int, end_ms: int) -> List[dt.date]:
        if end_ms < start_ms or end_ms < 0:
            return []
        first, last = day_of(max(start_ms, 0)), day_of(min(end_ms, MAX_TIME_MS))
        return [d for d in self.days(family) if first <= d <= last]

    # -- the open days -------------------------------------------------------------------------

    def _path(self, family: Family, day: dt.date) -> str:
        return os.path.join(self.directory, family.prefix, f"{day:%Y.%m.%d}")

    @contextmanager
    def _day(self, family: Family, day: dt.date, create: bool = False) -> Iterator[DayIndex]:
        key = (family.prefix, day)
        with self._lock:
            part = self._open.get(key)
            if part is None:
                part = self._open_day(family, day, create)
                self._open[key] = part
            self._open.move_to_end(key)
            part.users += 1
        try:
            yield part
        finally:
            with self._lock:
                part.users -= 1
                evicted = self._evict()
            for old in evicted:
                _quietly(old.close)

    def _open_day(self, family: Family, day: dt.date, create: bool) -> DayIndex:
        path = self._path(family, day)
        try:
            if create and not os.path.isdir(path):
                with tantivy_errors(lambda why: OSError(why)):
                    DayIndex.create(path, family)
            return DayIndex(path, family, day, self._checked, self.writer_heap)
        except PartitionDamaged:
            raise
        except OSError as e:
            raise StoreUnavailable(f"cannot open {family.partition(day)}: {e}") from None

    def _evict(self) -> List[DayIndex]:
        """The days to close (under `_lock`): the least recently used beyond the limit."""
        idle = [k for k, p in self._open.items() if p.users == 0]
        evicted = [self._open.pop(k) for k in idle[:max(0, len(self._open) - self.max_open_days)]]
        return evicted

    def _release_writers(self) -> None:
        """Close the writers of the days written least recently beyond `max_writers`, and of
        those not written for `writer_idle_s` (checked after each search and write)."""
        with self._lock:
            writing = sorted((p for p in self._open.values() if p.writing and p.users == 0),
                             key=lambda p: p.last_write, reverse=True)
        now = time.monotonic()
        for i, part in enumerate(writing):
            if i >= self.max_writers or now - part.last_write > self.writer_idle_s:
                _quietly(part.close_writer)
