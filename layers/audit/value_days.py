"""Which days an account's attribute values occur on: a digest beside the daily indices.

A search for a rare value (an address, a resource, an access key) across a month would read
all 30 daily indices. The digest holds one small document per (account, field, value, day) in
the monthly index `<prefix>_days-YYYY.MM`, so such a search reads only the days that hold the
value, and no daily index at all when the value never occurs.

An event's digest documents go to the store in the same bulk request as the event, and the
event counts as stored only when they are stored too (layers/audit/writer.py): a day the digest
does not name for a value holds no event with it. Days before GZ_AUDIT_VALUE_DAYS_SINCE (events
stored before the digest existed) are always read; rebuilding such a day from the archive
writes its digest.

Only exact values are digested, non-empty and at most MAX_VALUE characters; a fuzzy lookup, or
a value outside those bounds, reads every day as before.
"""
import datetime as dt
import hashlib
import json
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from layers.audit import indices
from layers.audit.store import Doc, EventStore
from layers.audit.templates import DAYS_SUFFIX

# The document fields whose values are digested (query.py maps LookupAttributes keys onto them).
FIELDS = ("EventName", "EventSource", "EventRegion", "Username", "PrincipalId", "SecretId", "SourceIPAddress",
          "ResourceType", "ResourceIds", "ApiErrorCode", "CamErrorCode", "Tags")
MAX_VALUE = 512
MAX_DOCS = 5000   # digest documents one lookup reads; a query needing more is not narrowed

# A condition: alternatives that OR together, each a set of (field, value) pairs that AND together.
Pairs = Tuple[Tuple[str, str], ...]
Condition = Tuple[Pairs, ...]


def digestible(value: str) -> bool:
    return 0 < len(value) <= MAX_VALUE


def _terms(value) -> Iterable[str]:
    """The terms a keyword field indexes for a JSON value."""
    if isinstance(value, list):
        for v in value:
            yield from _terms(v)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif isinstance(value, (int, float)):
        yield json.dumps(value)


def _day(day: dt.date) -> str:
    return f"{day:%Y.%m.%d}"


def index_name(prefix: str, day: dt.date) -> str:
    return f"{prefix}{DAYS_SUFFIX}-{day:%Y.%m}"


def documents(prefix: str, docs: Sequence[Doc]) -> Tuple[List[Doc], List[List[int]]]:
    """The digest documents of event documents (each once), and for each event the positions
    of those it needs. The id is derived from the content: writing one again changes nothing."""
    out: List[Doc] = []
    position: Dict[str, int] = {}
    needs: List[List[int]] = []
    for d in docs:
        account, day = d.source["AccountId"], indices.day_of(d.source["EventTime"])
        name, day_s = index_name(prefix, day), _day(day)
        mine = []
        for field in FIELDS:
            for value in _terms(d.source.get(field)):
                if not digestible(value):
                    continue
                doc_id = hashlib.sha1("\x00".join((account, field, value, day_s)).encode()).hexdigest()
                if doc_id not in position:
                    position[doc_id] = len(out)
                    out.append(Doc(name, doc_id, {"AccountId": account, "Field": field, "Value": value, "Day": day_s}))
                mine.append(position[doc_id])
        needs.append(mine)
    return out, needs


def days_holding(store: EventStore, prefix: str, account: str, conditions: Sequence[Condition],
                 days: Sequence[dt.date]) -> Optional[Set[dt.date]]:
    """The days among `days` on which an event of `account` can meet every condition; None when
    the digest cannot say within MAX_DOCS documents (then every day must be read)."""
    if not conditions or not days:
        return set(days) if not conditions else set()
    values: Dict[str, Set[str]] = {}
    for condition in conditions:
        for pairs in condition:
            for field, value in pairs:
                values.setdefault(field, set()).add(value)
    wanted = {_day(d) for d in days}
    query = {"bool": {"filter": [
        {"term": {"AccountId": account}},
        {"terms": {"Day": sorted(wanted)}},
        {"bool": {"minimum_should_match": 1, "should": [
            {"bool": {"filter": [{"term": {"Field": f}}, {"terms": {"Value": sorted(vs)}}]}}
            for f, vs in sorted(values.items())]}}]}}
    months = sorted({index_name(prefix, d) for d in days}, reverse=True)
    hits = store.search(months, query, sort=[{"Day": {"order": "desc"}}], size=MAX_DOCS)
    if len(hits) >= MAX_DOCS:
        return None
    seen: Dict[Tuple[str, str], Set[str]] = {}
    for h in hits:
        seen.setdefault((h.source["Field"], h.source["Value"]), set()).add(h.source["Day"])
    holding = wanted
    for condition in conditions:
        either: Set[str] = set()
        for pairs in condition:
            both = set(wanted)
            for pair in pairs:
                both &= seen.get(pair, set())
            either |= both
        holding &= either
    return {d for d in days if _day(d) in holding}


def expired(names: Sequence[str], prefix: str, cutoff: dt.date) -> List[str]:
    """Digest indices whose whole month is on or before `cutoff`."""
    out = []
    for name in names:
        day = indices.parse_index(prefix + DAYS_SUFFIX, name + ".01")
        if day is None:
            continue
        last = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        if last <= cutoff:
            out.append(name)
    return out
