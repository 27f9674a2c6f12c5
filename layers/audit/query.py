"""Filters and the time-ordered scan over the daily indices.

Events come back in one total order, (EventTime desc, EventId desc), and a page resumes after
the last event of the previous one (search_after), so paging never skips or repeats an event
however many arrive meanwhile. A scan reads only the daily indices its time range covers,
newest first: the day of the cursor alone, then the older days that exist (for an exact value,
only those the value-days digest says hold it: layers/audit/value_days.py) in batches of
growing size, until the page (plus one event, to know whether it is the last) is full.
The range is applied as the search_after bound on top and a cut-off at the bottom rather than
as a range filter: term filters over a day's index are what the store answers fastest.
A keyword (ContentValue) has the store return candidates — the account's events holding one of
its words — that are checked here, one by one, against the whole phrase
(layers/audit/keywords.py).
A page of the account's events with no filter reads the newest hours of its day first, by the
events' hour keys: the store gathers and sorts every event a search matches, and a busy
account's day holds thousands where two hours hold the page (layers/audit/document.py).
"""
import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from layers.audit import indices, value_days
from layers.audit.config import audit_settings
from layers.audit.document import HOUR_MS, IDENTIFIER_FIELDS, KEYS, hour_key, scoped_key, tag_key, to_event
from layers.audit.keywords import KeywordMatch, keyword_match
from layers.audit.paging import Cursor
from layers.audit.store import EventStore, Hit
from layers.audit.value_days import MAX_REQUEST_MS, MINTED_SPANS, Condition, Pairs
from layers.gateway.errors import invalid_value
from layers.timeids import minted_ms

SORT = [{"EventTime": {"order": "desc"}}, {"EventId": {"order": "desc"}}]
MAX_INDICES_PER_SEARCH = 64
# Days read at once while nothing has matched yet. The store pays for every index a search
# names, in proportion to the documents it holds, however few match (at 1 M events a month,
# ~0.3 ms a day): a value on most days but not the newest fills the page from a few of them,
# and one truly rare costs a search or two more than naming every day at once.
RARE_FIRST_DAYS = 4
# The value-days digest is asked only when the newest day suggests the page needs more than this
# many further days: a value dense enough to fill it sooner is on most days anyway, and the
# digest's search (its monthly indices) costs the store more than a day's.
DIGEST_WORTH_DAYS = 3
# A page of at most HOURS_FIRST_MAX events with no filter searches the newest HOURS_FIRST hours
# of its day first; the rest of the day follows (search_after) only if they hold too few.
HOURS_FIRST, HOURS_FIRST_MAX = 2, 100
KEYWORD_BATCH = 500          # at most this many candidates fetched at a time when each is checked here
STRICT_AFTER_REJECTS = 1000  # candidates turned down before the store is asked for every pair

# LookupAttributes AttributeKey -> the field it filters and the kind of value it takes. Every
# filter is a term of the document's Keys scoped to the account (document.scoped_key).
ATTRIBUTES: Dict[str, Tuple[str, str]] = {
    "RequestId": ("RequestId", "keyword"),
    "EventName": ("EventName", "keyword"),
    "ReadOnly": ("ReadOnly", "bool"),
    "Username": ("Username", "keyword"),
    "ResourceType": ("ResourceType", "keyword"),
    "ResourceName": ("ResourceIds", "keyword"),
    "ResourceId": ("ResourceIds", "keyword"),
    "AccessKeyId": ("SecretId", "keyword"),
    "EventId": ("EventId", "keyword"),
    "EventSource": ("EventSource", "keyword"),
    "EventRegion": ("EventRegion", "keyword"),
    "SourceIPAddress": ("SourceIPAddress", "keyword"),
    "ApiErrorCode": ("ApiErrorCode", "keyword"),
    "CamErrorCode": ("CamErrorCode", "keyword"),
    "ActionType": ("ActionType", "action"),
    "PrincipalId": ("PrincipalId", "keyword"),
    "SensitiveAction": ("SensitiveAction", "bool"),
    "Tags": ("Tags", "tags"),
}
LOOKUP_TYPES = ("keyValue", "fuzzy")


@dataclass
class Query:
    account: str
    start_ms: int
    end_ms: int
    filters: List[dict] = field(default_factory=list)
    keyword: Optional[KeywordMatch] = None         # ContentValue (layers/audit/keywords.py)
    window: Optional[Tuple[int, int]] = None       # where its ids say the events lie (minted_window)
    conditions: Tuple[Condition, ...] = ()         # exact values the value-days digest can place

    @classmethod
    def of(cls, account: str, start_ms: int, end_ms: int, attributes: Sequence[Tuple[str, str]],
           lookup_type: str = "keyValue", keyword: str = "") -> "Query":
        """The query of LookupEvents' parameters (an export's are the same)."""
        checked = _checked(attributes, lookup_type, account=account)
        match = keyword_match(keyword) if (keyword or "").strip() else None
        conditions = _conditions(checked)
        placed = _placement(match, start_ms, end_ms) if match is not None else None
        if placed is not None:
            conditions += (placed,)
        return cls(account, start_ms, end_ms, _filters(checked), match,
                   minted_window(attributes, lookup_type), conditions)

    def clause(self, *extra: dict, scoped: bool = False) -> dict:
        """The store filter. Attribute filters are account-scoped terms, as are `extra` when
        `scoped`: with any of them the account needs no clause of its own (whose postings are
        every event of the account)."""
        own = [] if self.filters or scoped else [{"term": {"AccountId": self.account}}]
        return {"bool": {"filter": [*own, *self.filters, *extra]}}

    def hours_clause(self, newest_ms: int) -> dict:
        """The store filter of the account's events in the HOURS_FIRST hours up to newest_ms."""
        return {"terms": {KEYS: [hour_key(self.account, newest_ms - i * HOUR_MS) for i in range(HOURS_FIRST)]}}

    def bounds(self) -> Tuple[int, int]:
        """The part of the range a scan reads: all of it, or what lies inside the window."""
        if self.window is None:
            return self.start_ms, self.end_ms
        return max(self.start_ms, self.window[0]), min(self.end_ms, self.window[1])


def minted_window(attributes: Sequence[Tuple[str, str]], lookup_type: str = "keyValue") -> Optional[Tuple[int, int]]:
    """Where the events of an exact EventId/RequestId lookup can lie, from the time their ids
    carry: a lookup by id reads a day's index, not a month's. None when an id carries no time
    (an older id, another kind of string): then the whole range is read."""
    if lookup_type != "keyValue":
        return None
    window: Optional[Tuple[int, int]] = None
    for key, span in MINTED_SPANS.items():
        times = [minted_ms(value) for k, value in attributes if k == key]
        if not times or None in times:
            continue
        lo, hi = min(times), max(times) + span
        window = (lo, hi) if window is None else (max(window[0], lo), min(window[1], hi))
    return window


# ---- attribute filters ----
def _bool(value: str, where: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise invalid_value(where, "must be true or false")


def _action(value: str, where: str) -> str:
    v = value.strip().lower()
    if v in ("read", "write"):
        return v.capitalize()
    raise invalid_value(where, "must be Read or Write")


def _tag_terms(value: str, where: str) -> List[str]:
    """'[{"key":"k","value":"v"}, ...]' (or one such object) -> terms that must all match."""
    try:
        data = json.loads(value)
    except ValueError:
        raise invalid_value(where, 'Tags take a JSON list such as [{"key":"env","value":"prod"}]') from None
    items = data if isinstance(data, list) else [data]
    terms = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
            raise invalid_value(where, 'each tag needs a "key" (and optionally a "value")')
        tag_value = item.get("value")
        if tag_value is not None and not isinstance(tag_value, (str, int, float)):
            raise invalid_value(where, 'a tag "value" must be a string')
        terms.append(tag_key(item["key"], None if tag_value in (None, "") else str(tag_value)))
    if not terms:
        raise invalid_value(where, "name at least one tag")
    return terms


def _wildcard(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
    return f"*{escaped}*"


def _key_term(account: str, field_name: str, value) -> dict:
    return {"term": {KEYS: scoped_key(account, field_name, value)}}


@dataclass
class _Checked:
    clause: dict                  # the store filter of one attribute
    pairs: Optional[Pairs]        # the (field, value) pairs the value-days digest can place, if any


def _checked(attributes: Sequence[Tuple[str, str]], lookup_type: str = "keyValue",
             param: str = "LookupAttributes", *, account: str = "") -> Dict[str, List[_Checked]]:
    """Each attribute checked and turned into its filter on `account`'s Keys (and digest pairs),
    grouped by key. lookup_type "fuzzy" matches text attributes as case-insensitive substrings
    instead of exact values (and then the digest places nothing)."""
    grouped: Dict[str, List[_Checked]] = {}
    for i, (key, value) in enumerate(attributes):
        spec = ATTRIBUTES.get(key)
        if spec is None:
            raise invalid_value(f"{param}.{i}.AttributeKey",
                                f"`{key}` is not a lookup attribute; use one of {', '.join(ATTRIBUTES)}")
        field_name, kind = spec
        where = f"{param}.{i}.AttributeValue"
        pairs: Optional[Pairs] = None
        if kind == "bool":
            clause = _key_term(account, field_name, _bool(value, where))
        elif kind == "action":
            clause = _key_term(account, field_name, _action(value, where))
        elif kind == "tags":
            terms = _tag_terms(value, where)
            clause = {"bool": {"filter": [_key_term(account, field_name, t) for t in terms]}}
            if lookup_type == "keyValue":
                pairs = tuple((field_name, t) for t in terms)
        elif lookup_type == "fuzzy":
            if not value:
                raise invalid_value(where, "a fuzzy match needs a non-empty value")
            # the scoped prefix is literal and the pattern covers the whole term: another
            # account's or another field's keys cannot match
            prefix = scoped_key(account, field_name, "")      # digits and a field name: nothing to escape
            clause = {"wildcard": {KEYS: {"value": prefix + _wildcard(value), "case_insensitive": True}}}
        else:
            clause = _key_term(account, field_name, value)
            if field_name in value_days.VALUE_FIELDS:
                pairs = ((field_name, value),)
        grouped.setdefault(key, []).append(_Checked(clause, pairs))
    return grouped


def _filters(grouped: Dict[str, List[_Checked]]) -> List[dict]:
    """Different keys AND together; values of a repeated key OR together."""
    filters = []
    for checked in grouped.values():
        clauses = [c.clause for c in checked]
        filters.append(clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}})
    return filters


def _conditions(grouped: Dict[str, List[_Checked]]) -> Tuple[Condition, ...]:
    """The value-days conditions (layers/audit/value_days.py), on the same logic: values of a
    repeated key OR together, a Tags value's tags AND together, different keys AND. A key the
    digest does not hold, or a value it does not take, places nothing."""
    return tuple(tuple(c.pairs for c in checked) for checked in grouped.values()
                 if all(c.pairs is not None and all(value_days.digestible(v) for _, v in c.pairs) for c in checked))


def keyword_condition(text: str, start_ms: int, end_ms: int) -> Optional[Condition]:
    """Where a keyword (ContentValue) can be, for the value-days digest: on the days holding the
    most telling word of its phrase (one term: asking for several would need each one's days
    apart, as the digest may hold them in different documents), or, if it could be an
    identifier, where an event holds it as one: by the digested ids, or on the days its time
    names if it is a minted EventId/RequestId (those are not digested: layers/audit/value_days.py).
    None when the digest cannot place it (a single Chinese character)."""
    return _placement(keyword_match(text), start_ms, end_ms)


def _placement(match: KeywordMatch, start_ms: int, end_ms: int) -> Optional[Condition]:
    if match.terms is None:
        return None
    alternatives: List[Pairs] = [((value_days.WORDS, match.terms[0]),)] if match.terms else []
    if match.identifier:
        text = match.text
        alternatives += [((f, text),) for f in IDENTIFIER_FIELDS]
        minted = minted_ms(text)
        if minted is not None:
            lo, hi = max(start_ms, minted), min(end_ms, minted + MAX_REQUEST_MS)
            alternatives += [(value_days.day_pair(d),) for d in indices.days_newest_first(lo, hi)]
    return tuple(alternatives)


def value_conditions(attributes: Sequence[Tuple[str, str]], lookup_type: str = "keyValue") -> Tuple[Condition, ...]:
    return _conditions(_checked(attributes, lookup_type))


# ---- the scan ----
class Scanner:
    """Reads a query's events newest first, from an optional cursor."""

    def __init__(self, store: EventStore, *, prefix: Optional[str] = None, now_ms: Optional[int] = None) -> None:
        self.store = store
        self.settings = audit_settings()
        self.prefix = prefix or self.settings.index_prefix
        self.now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        self._existing: Optional[set] = None

    def _days(self, start_ms: int, end_ms: int) -> List[str]:
        """The days of the range that can hold events: within the retention period and no later
        than tomorrow (events bear the time they happened; a day covers clock skew). A range
        from 1970 to year 9999 is then a year of days, not three million."""
        end_ms = min(end_ms, self.now_ms + indices.DAY_MS)
        if self.settings.retention_days > 0:
            cutoff = indices.day_of(self.now_ms) - dt.timedelta(days=self.settings.retention_days)
            start_ms = max(start_ms, indices.day_start_ms(cutoff) + indices.DAY_MS)
        return [indices.index_name(self.prefix, d) for d in indices.days_newest_first(start_ms, end_ms)]

    def _existing_only(self, names: List[str]) -> List[str]:
        if self._existing is None:
            self._existing = set(self.store.list_indices(f"{self.prefix}-*"))
        return [n for n in names if n in self._existing]

    def _holding(self, query: Query, names: List[str]) -> List[str]:
        """The days among `names` that can hold the query's exact values, by the value-days
        digest; days it does not cover are kept."""
        if not query.conditions or not names:
            return names
        days = {n: indices.parse_index(self.prefix, n) for n in names}
        since, words_since = self.settings.value_days_since, self.settings.words_since
        if query.keyword is not None and words_since and (since is None or words_since > since):
            since = words_since        # a keyword's words (and unplaced ids) were digested from then on
        covered = {d for d in days.values() if d is not None and (since is None or d >= since)}
        holding = value_days.days_holding(self.store, self.prefix, query.account, query.conditions, covered)
        if holding is None:
            return names
        return [n for n, d in days.items() if d is None or d in holding or d not in covered]

    def _batches(self, names: List[str], progress: List[int], query: Query) -> Iterator[List[str]]:
        """Groups of days to search, newest first. The first is the cursor's own day (a dense
        range needs no more, nor any listing); then the older days that exist and, by the
        value-days digest (unless the first day shows the values dense), can hold the query's
        values; a group is sized from the density seen so far: about twice the days the rest of
        the page needs, at most doubling (a dense one); while nothing matched, RARE_FIRST_DAYS
        days, then twice as many each time."""
        if not names:
            return
        yield names[:1]
        rest = self._existing_only(names[1:]) if len(names) > 1 else []
        found, wanted = progress
        if not found or 2 * (wanted - found) / found + 1 > DIGEST_WORTH_DAYS:
            rest = self._holding(query, rest)
        searched, size = 1, 1
        while rest:
            found, wanted = progress
            if found == 0:
                size = max(RARE_FIRST_DAYS, size * 2)
            else:
                per_day = found / searched
                size = min(size * 2, max(1, int(2 * (wanted - found) / per_day) + 1))
            size = min(size, MAX_INDICES_PER_SEARCH)
            yield rest[:size]
            searched += size
            rest = rest[size:]

    def page(self, query: Query, size: int, cursor: Optional[Cursor] = None) -> Tuple[List[Hit], Optional[Cursor]]:
        """Up to `size` events after `cursor`, and the cursor of the next page (None: no more)."""
        hits = self.scan(query, size + 1, cursor)
        if len(hits) > size:
            last = hits[size - 1]
            return hits[:size], Cursor(int(last.sort[0]), str(last.sort[1]))
        return hits, None

    def scan(self, query: Query, limit: int, cursor: Optional[Cursor] = None) -> List[Hit]:
        return list(self.iterate(query, cursor, limit=limit))

    def _clause(self, query: Query, keyword: Optional[KeywordMatch], strict: bool, batch: List[str]) -> dict:
        """The store filter for a batch of days: with a keyword, the account's candidates by
        their words; by the account alone (each event checked) when the batch reaches back
        before events carried their words, or no word of the keyword narrows them."""
        if keyword is None:
            return query.clause()
        since = self.settings.account_words_since
        if since is not None and indices.parse_index(self.prefix, batch[-1]) < since:
            return query.clause()
        candidates = keyword.clause(query.account, strict)
        return query.clause() if candidates is None else query.clause(candidates, scoped=True)

    def _hours_first(self, query: Query, newest_ms: int, limit: Optional[int]) -> Optional[dict]:
        """The filter of the newest hours, when a small page of an unfiltered query starts in a
        day (newest_ms's, the scan's first) whose events carry their hour."""
        if query.filters or query.keyword is not None or limit is None or limit > HOURS_FIRST_MAX:
            return None
        since = self.settings.hours_since
        if since is not None and indices.day_of(newest_ms) < since:
            return None
        return query.hours_clause(newest_ms)

    def iterate(self, query: Query, cursor: Optional[Cursor] = None, *, limit: Optional[int] = None,
                batch_size: Optional[int] = None) -> Iterator[Hit]:
        """Every matching event after `cursor`, newest first, fetched `batch_size` at a time
        (the export streams through this); each hit's source is the event as emitted."""
        if limit is not None and limit <= 0:
            return
        start_ms, end_ms = query.bounds()
        after = [cursor.time, cursor.event_id] if cursor else [end_ms + 1, ""]
        if after[0] < start_ms:
            return
        keyword = query.keyword
        if keyword is not None and keyword.impossible:
            return
        rejected, strict = 0, False
        produced = 0
        page = batch_size or 1000
        progress = [0, limit if limit is not None else page]     # [found, wanted], read by _batches
        newest = min(end_ms, int(after[0]))
        for n, batch in enumerate(self._batches(self._days(start_ms, newest), progress, query)):
            # the cursor's day: its newest hours alone first, while they fill the page
            hours = self._hours_first(query, newest, limit) if n == 0 else None
            clause = self._clause(query, keyword, strict, batch)
            while True:
                remaining = limit - produced if limit is not None else page
                want = min(batch_size or remaining, remaining)
                if keyword is not None:
                    # twice what is wanted, more once candidates have been turned down
                    want = min(KEYWORD_BATCH, max(2 * want, 20) * (1 + rejected // 10))
                # the template keeps only the event in _source (to_event also reads older shapes)
                got = [Hit(h.index, h.id, h.sort, to_event(h.source))
                       for h in self.store.search(batch, hours or clause, sort=SORT, size=want, search_after=after)]
                for hit in got:
                    if int(hit.sort[0]) < start_ms:
                        return
                    if keyword is not None and not keyword.accepts(hit):
                        rejected += 1
                        continue
                    yield hit
                    produced += 1
                    if limit is not None and produced >= limit:
                        return
                progress[0] = produced
                if limit is None:
                    progress[1] = produced + page
                if got:
                    after = [int(got[-1].sort[0]), str(got[-1].sort[1])]
                if keyword is not None and not strict and rejected > STRICT_AFTER_REJECTS:
                    strict = True
                    clause = self._clause(query, keyword, strict, batch)
                if len(got) < want:
                    if hours is not None:
                        hours = None         # those hours are exhausted: the rest of the day
                        continue
                    break            # this batch of days is exhausted: go to older days
