"""SearchSession: the sessions not indexed yet (the bastion table's items, sessions.py) and the
indexed ones (the search store) as one list, newest first (StartTime, then Sid, descending, the
store's order), paged by Offset/Limit with an exact TotalCount.

Both sides take the same clauses: the store renders them, `holds` tests them on an item. The
items of an account are few (its running sessions), so they are read whole and merged into the
store's page: the store is asked only for the records around the page, never for the Offset
records before it."""
import json
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from layers.bastion import sessions, times
from layers.search.query import AllOf, AnyOf, Clause, Contains, Search, Term

Key = Tuple[int, str]          # (StartTime, record id): larger comes first, as in the store
Keyed = Tuple[Key, dict]


def holds(clause: Clause, rec: Dict) -> bool:
    """Whether a record's fields satisfy a clause, as the search store decides it."""
    if isinstance(clause, AllOf):
        return all(holds(c, rec) for c in clause.clauses)
    if isinstance(clause, AnyOf):
        return any(holds(c, rec) for c in clause.clauses)
    value = rec.get(clause.field)
    if isinstance(clause, Term):
        return value is not None and not isinstance(value, bool) and value in clause.values
    if isinstance(clause, Contains):
        return (isinstance(value, str) and value.startswith(clause.prefix)
                and clause.text.lower() in value[len(clause.prefix):].lower())
    raise TypeError(f"not a clause: {clause!r}")


def merge_page(items: Sequence[Keyed], fetch: Callable[[int, int], Tuple[int, List[Keyed]]], offset: int,
               limit: int) -> Tuple[int, List[dict]]:
    """Records [offset, offset + limit) of `items` and the store's records merged, newest first,
    and how many there are. fetch(offset, size) -> (the store's total, its records from offset).
    No key may be on both sides."""
    items = sorted(items, key=lambda x: x[0], reverse=True)
    if not items:
        total, got = fetch(offset, limit)
        return total, [rec for _, rec in got]
    # At most len(items) of them precede the page: the store's records from `first` on cover it.
    first = max(0, offset - len(items))
    stored, window = fetch(first, offset + limit - first)
    total = stored + len(items)
    if first and not window:
        return total, []               # offset is past every record
    if first:
        head = window[0][0]
        position = first + sum(1 for key, _ in items if key > head)    # window[0]'s place in the merged list
        merged = [x for x in items if x[0] < head] + window
    else:
        position, merged = 0, list(items) + window
    merged.sort(key=lambda x: x[0], reverse=True)
    if first + len(window) < stored:
        # the store has records past the window: items after its last one cannot be placed yet
        merged = [x for x in merged if x[0] >= window[-1][0]] if window else []
    return total, [rec for _, rec in merged[offset - position:offset - position + limit]]


def _keyed(account: str, rec: dict) -> Keyed:
    return (rec["StartTime"], sessions.record_id(account, rec["Sid"])), rec


def search(store, account: str, start_ms: int, end_ms: int, where: Sequence[Clause], offset: int, limit: int,
           items: Sequence[dict]) -> Tuple[int, List[dict]]:
    """SearchSession's page over `items` (sessions.all_pending) and the store's records: (TotalCount,
    SessionResult list)."""
    mine = [r for r in items if start_ms <= r["StartTime"] <= end_ms and all(holds(c, r) for c in where)]
    finished = [r["Sid"] for r in mine if r["Status"] != sessions.ACTIVE]
    if finished:        # indexed but not settled yet: the record counts, the item does not
        done = store.search(Search(sessions.FAMILY, account, start_ms, end_ms, (Term("Sid", tuple(finished)),),
                                   size=len(finished)))
        indexed = {json.loads(h.source)["Sid"] for h in done.hits}
        mine = [r for r in mine if r["Sid"] not in indexed]

    def fetch(skip: int, size: int) -> Tuple[int, List[Keyed]]:
        found = store.search(Search(sessions.FAMILY, account, start_ms, end_ms, tuple(where), size=size,
                                    offset=skip, count=True))
        return found.total, [_keyed(account, json.loads(h.source)) for h in found.hits]

    total, page = merge_page([_keyed(account, r) for r in mine], fetch, offset, limit)
    now_ms = times.millis(times.now())
    return total, [sessions.result(r, now_ms) for r in page]


def by_id(store, account: str, sid: str, pending: Optional[dict]) -> List[dict]:
    """The session with this Id (its item, else its indexed record), as a list of at most one."""
    rec = pending if pending is not None else sessions.indexed(store, account, sid)
    return [sessions.result(rec, times.millis(times.now()))] if rec else []
