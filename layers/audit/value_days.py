"""Which days an account's attribute values and words occur on: a digest beside the daily indices.

A search for a rare value (an address, a resource, an access key) or a rare keyword across a
month would read all 30 daily indices. For each account and day, every bulk write of events adds
one small document to the monthly index `<prefix>_days-YYYY.MM` listing the values its events of
that day hold, field by field, and the words of their text (`Words`: Latin words and pairs of
Chinese characters, layers/audit/words.py); a search for an exact value or a keyword asks it
first and reads only the days that hold it, and no daily index at all when it never occurs.
EventIds and RequestIds carry their time (layers/timeids.py) and are not digested, except those
that do not (`unplaced`): a keyword that could be an id reads the days its time names, and those.

An event's digest document goes to the store in the same bulk request as the event, and the
event counts as stored only when its digest document is too (layers/audit/writer.py): a day the
digest does not name for a value holds no event with it. A document's id is derived from the
events it covers, so writing the same batch again changes nothing; the indexer leaves out the
values it stored lately (`Known`), so one day's values may be spread over many documents, and a
condition whose values must all be on one day is checked per day, not per document. Days before
GZ_AUDIT_VALUE_DAYS_SINCE (events stored before the digest existed) are always read, and for a
keyword the days before GZ_AUDIT_WORDS_SINCE (before the digest held words); rebuilding such a
day from the archive writes its digest.

Only exact values are digested, non-empty and at most MAX_VALUE characters; a fuzzy lookup, or
a value outside those bounds, reads every day as before.
"""
import datetime as dt
import hashlib
import threading
import time
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from layers.audit import indices, words
from layers.audit.document import WORDS as EVENT_WORDS, key_values
from layers.audit.store import Doc, EventStore
from layers.audit.templates import DAYS_SUFFIX
from layers.timeids import minted_ms

# EventIds and RequestIds are minted with their time (layers/timeids.py): an event's EventTime is
# its EventId's, and follows its RequestId's by at most the longest a request can run.
MAX_REQUEST_MS = 15 * 60 * 1000
MINTED_SPANS = {"EventId": 0, "RequestId": MAX_REQUEST_MS}

# The fields whose values are digested, as the event documents' Keys name them (document.py):
# those a LookupAttributes value is placed by (query.py maps the keys onto them), and the ids
# whose time does not place their event (`unplaced`).
VALUE_FIELDS = ("EventName", "EventSource", "EventRegion", "Username", "PrincipalId", "SecretId", "SourceIPAddress",
                "ResourceType", "ResourceIds", "ApiErrorCode", "CamErrorCode", "Tags")
FIELDS = (*VALUE_FIELDS, *MINTED_SPANS)
WORDS = "Words"       # the words of the events' text (layers/audit/words.py)
DIGESTED = (*FIELDS, WORDS)
DAY = "Day"           # a condition on it holds on the days the account has any event
MAX_VALUE = 512
MAX_DOCS = 2000   # digest documents one condition may match; a query needing more is not narrowed

# A condition: alternatives that OR together, each a set of (field, value) pairs that AND together.
Pairs = Tuple[Tuple[str, str], ...]
Condition = Tuple[Pairs, ...]


def digestible(value: str) -> bool:
    return 0 < len(value) <= MAX_VALUE


def _day(day: dt.date) -> str:
    return f"{day:%Y.%m.%d}"


def day_pair(day: dt.date) -> Tuple[str, str]:
    return DAY, _day(day)


def unplaced(field: str, value: str, event_time: int) -> bool:
    """An EventId or RequestId whose time does not place its event (not minted, or minted
    outside the span before its EventTime)."""
    minted = minted_ms(value)
    return minted is None or not 0 <= event_time - minted <= MINTED_SPANS[field]


def index_name(prefix: str, day: dt.date) -> str:
    return f"{prefix}{DAYS_SUFFIX}-{day:%Y.%m}"


def pattern(prefix: str) -> str:
    return f"{prefix}{DAYS_SUFFIX}-*"


class Known:
    """The values a process has stored in the digest lately, so that a batch writes only what
    is new: (account, day, field, value) -> when, for at most KEEP_SECONDS and MAX entries.
    Forgotten whenever the store was unreachable (it may have come back empty); a store that
    lost its digest while reachable is corrected by rebuilding its days, which writes the whole
    digest again."""
    KEEP_SECONDS = 300.0
    MAX = 200_000

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._seen: "OrderedDict[tuple, float]" = OrderedDict()
        self._lock = threading.Lock()

    def unknown(self, keys: Iterable[tuple]) -> List[tuple]:
        """Those of `keys` not stored lately."""
        now = self._clock()
        with self._lock:
            seen = self._seen
            return [k for k in keys if not (k in seen and now - seen[k] < self.KEEP_SECONDS)]

    def add(self, keys: Iterable[tuple]) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._seen[key] = now
                self._seen.move_to_end(key)
            while len(self._seen) > self.MAX:
                self._seen.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


def documents(prefix: str, docs: Sequence[Doc], known: Optional[Known] = None) -> Tuple[List[Doc], List[Optional[int]]]:
    """The digest documents of event documents, one per account and day holding a value not
    `known` yet, and for each event the position of its own (None: every value it holds is
    known to be in the digest already)."""
    groups: Dict[Tuple[str, str], List[int]] = {}
    for i, d in enumerate(docs):
        groups.setdefault((d.source["AccountId"], _day(indices.day_of(d.source["EventTime"]))), []).append(i)
    out: List[Doc] = []
    owner: List[Optional[int]] = [None] * len(docs)
    for (account, day_s), members in groups.items():
        source: Dict[str, object] = {"AccountId": account, "Day": day_s}
        values: Dict[str, Set[str]] = {}
        for i in members:
            s = docs[i].source
            for field, v in key_values(s):
                if field not in FIELDS or not digestible(v):
                    continue
                if field not in MINTED_SPANS or unplaced(field, v, s["EventTime"]):
                    values.setdefault(field, set()).add(v)
            values.setdefault(WORDS, set()).update(words.unscoped(t) for t in s.get(EVENT_WORDS, "").split())
        if known is not None:
            new: Dict[str, Set[str]] = {}
            for _, _, f, v in known.unknown((account, day_s, f, v) for f, vs in values.items() for v in vs):
                new.setdefault(f, set()).add(v)
            values = new
        for field in DIGESTED:
            if values.get(field):
                source[field] = sorted(values[field])
        if len(source) == 2:
            continue
        ids = sorted(docs[i].id for i in members)
        doc_id = hashlib.sha1("\x00".join([account, day_s, *ids]).encode()).hexdigest()
        day = indices.day_of(docs[members[0]].source["EventTime"])
        for i in members:
            owner[i] = len(out)
        out.append(Doc(index_name(prefix, day), doc_id, source))
    return out, owner


def keys_of(doc: Doc) -> List[tuple]:
    """The (account, day, field, value) a digest document holds, for Known.add."""
    s = doc.source
    return [(s["AccountId"], s["Day"], f, v) for f in DIGESTED for v in s.get(f, ())]


def days_holding(store: EventStore, prefix: str, account: str, conditions: Sequence[Condition],
                 days: Iterable[dt.date]) -> Optional[Set[dt.date]]:
    """The days among `days` on which an event of `account` can meet every condition; None when
    the digest cannot say within MAX_DOCS documents (then every day must be read)."""
    wanted = {_day(d): d for d in days}
    holding = set(wanted)
    months = sorted({index_name(prefix, d) for d in days}, reverse=True)
    for condition in conditions:      # one search each: a day must hold every condition
        if not holding:
            break
        found = _days_of(store, months, account, condition)
        if found is None:
            return None
        holding &= found
    return {wanted[d] for d in holding}


def _days_of(store: EventStore, months: List[str], account: str, condition: Condition) -> Optional[Set[str]]:
    """The days (as the digest spells them) holding one of the condition's alternatives."""
    if not condition:
        return set()
    pairs = sorted({p for alternative in condition for p in alternative})
    single = all(len(alternative) == 1 for alternative in condition)
    # A value that must be on the same day as another is a named clause: the two may be in
    # different documents of the day (Known), so they are put together per day here. Naming
    # costs the store a check per hit, so a condition of single values does without.
    should = [{"term": {f: v}} if single else {"term": {f: {"value": v, "_name": str(i)}}}
              for i, (f, v) in enumerate(pairs)]
    # the days are kept in Python: a terms filter over them costs the store more than the few
    # other days of the same months it returns
    query = {"bool": {"filter": [{"term": {"AccountId": account}},
                                 {"bool": {"should": should, "minimum_should_match": 1}}]}}
    # a hit's Day is its sort value: no document is read back
    hits = store.search(months, query, sort=[{DAY: {"order": "desc"}}], size=MAX_DOCS, source=False)
    if len(hits) >= MAX_DOCS:
        return None
    if single:
        return {h.sort[0] for h in hits}
    found: Dict[str, Set[Tuple[str, str]]] = {}
    for h in hits:
        found.setdefault(h.sort[0], set()).update(pairs[int(n)] for n in h.matched)
    return {day for day, there in found.items() if any(there.issuperset(alt) for alt in condition)}


def expired(names: Sequence[str], prefix: str, cutoff: dt.date) -> List[str]:
    """Digest indices whose whole month is on or before `cutoff`."""
    out = []
    for name in names:
        day = indices.parse_index(prefix + DAYS_SUFFIX, name + ".01")     # the month's first day
        if day is None:
            continue
        last = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        if last <= cutoff:
            out.append(name)
    return out
