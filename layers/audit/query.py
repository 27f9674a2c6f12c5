"""LookupEvents' parameters as a search (layers/search/query.py), and the scan that pages through it.

Events come back in one total order, (EventTime desc, EventId desc), and a page resumes after
the last event of the previous one, so paging never skips or repeats an event however many
arrive meanwhile. Every attribute filter is a term of the event's Keys scoped to the account
(layers/audit/document.py); values of a repeated key OR together, different keys AND. A lookup
by EventId or RequestId reads only the days its ids' minted time allows (layers/timeids.py).
A keyword (ContentValue) has the store return candidates — the account's events holding every
word of it, or holding it as an identifier — that are checked here, one by one, against the
whole phrase (layers/audit/keywords.py).
"""
import json
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from layers.audit.config import audit_settings
from layers.audit.document import KEYS, family, scoped_key, tag_key, to_event
from layers.audit.keywords import KeywordMatch, keyword_match
from layers.audit.paging import Cursor
from layers.gateway.errors import invalid_value
from layers.search.query import AllOf, AnyOf, Clause, Contains, Search, Term
from layers.search.store import SearchStore
from layers.timeids import minted_ms

KEYWORD_BATCH = 500          # at most this many candidates fetched at a time when each is checked here
# How long after the time its id carries an event can be: an EventId is minted with the event, a
# RequestId when its request arrived (layers/timeids.py).
MAX_REQUEST_MS = 15 * 60 * 1000
MINTED_SPANS = {"EventId": 0, "RequestId": MAX_REQUEST_MS}

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
    "Location": ("Location", "keyword"),          # layers/audit/location.py
}
LOOKUP_TYPES = ("keyValue", "fuzzy")


@dataclass
class Query:
    account: str
    start_ms: int
    end_ms: int
    where: Tuple[Clause, ...] = ()
    keyword: Optional[KeywordMatch] = None         # ContentValue (layers/audit/keywords.py)
    window: Optional[Tuple[int, int]] = None       # where its ids say the events lie (minted_window)

    @classmethod
    def of(cls, account: str, start_ms: int, end_ms: int, attributes: Sequence[Tuple[str, str]],
           lookup_type: str = "keyValue", keyword: str = "") -> "Query":
        """The query of LookupEvents' parameters (an export's are the same)."""
        match = keyword_match(keyword) if (keyword or "").strip() else None
        return cls(account, start_ms, end_ms, _where(attributes, lookup_type, account=account), match,
                   minted_window(attributes, lookup_type))

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


def _key_term(account: str, field_name: str, value) -> Term:
    return Term(KEYS, (scoped_key(account, field_name, value),))


def _clause(account: str, field_name: str, kind: str, value: str, lookup_type: str, where: str) -> Clause:
    if kind == "bool":
        return _key_term(account, field_name, _bool(value, where))
    if kind == "action":
        return _key_term(account, field_name, _action(value, where))
    if kind == "tags":
        return AllOf(tuple(_key_term(account, field_name, t) for t in _tag_terms(value, where)))
    if lookup_type == "fuzzy":
        if not value:
            raise invalid_value(where, "a fuzzy match needs a non-empty value")
        # the scoped prefix is literal: another account's or another field's keys cannot match
        return Contains(KEYS, value, prefix=scoped_key(account, field_name, ""))
    return _key_term(account, field_name, value)


def _where(attributes: Sequence[Tuple[str, str]], lookup_type: str = "keyValue",
           param: str = "LookupAttributes", *, account: str = "") -> Tuple[Clause, ...]:
    """Each attribute checked and turned into a term of `account`'s Keys. lookup_type "fuzzy"
    matches text attributes as case-insensitive substrings instead of exact values. Different keys
    AND together; values of a repeated key OR together."""
    grouped: Dict[str, List[Clause]] = {}
    for i, (key, value) in enumerate(attributes):
        spec = ATTRIBUTES.get(key)
        if spec is None:
            raise invalid_value(f"{param}.{i}.AttributeKey",
                                f"`{key}` is not a lookup attribute; use one of {', '.join(ATTRIBUTES)}")
        field_name, kind = spec
        grouped.setdefault(key, []).append(
            _clause(account, field_name, kind, value, lookup_type, f"{param}.{i}.AttributeValue"))
    return tuple(c[0] if len(c) == 1 else AnyOf(tuple(c)) for c in grouped.values())


# ---- the scan ----
@dataclass
class Found:
    time_ms: int
    event_id: str
    event: dict          # the event as emitted

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.time_ms, self.event_id)


class Scanner:
    """Reads a query's events newest first, from an optional cursor."""

    def __init__(self, store: SearchStore, *, prefix: Optional[str] = None) -> None:
        self.store = store
        self.family = family(prefix or audit_settings().index_prefix)

    def page(self, query: Query, size: int, cursor: Optional[Cursor] = None) -> Tuple[List[Found], Optional[Cursor]]:
        """Up to `size` events after `cursor`, and the cursor of the next page (None: no more)."""
        found = self.scan(query, size + 1, cursor)
        if len(found) > size:
            return found[:size], found[size - 1].cursor
        return found, None

    def scan(self, query: Query, limit: int, cursor: Optional[Cursor] = None) -> List[Found]:
        return list(self.iterate(query, cursor, limit=limit))

    def iterate(self, query: Query, cursor: Optional[Cursor] = None, *, limit: Optional[int] = None,
                batch_size: Optional[int] = None) -> Iterator[Found]:
        """Every matching event after `cursor`, newest first, fetched `batch_size` at a time
        (the export streams through this)."""
        if limit is not None and limit <= 0:
            return
        start_ms, end_ms = query.bounds()
        keyword = query.keyword
        if start_ms > end_ms or (keyword is not None and keyword.impossible):
            return
        after = (cursor.time, cursor.event_id) if cursor else None
        rejected, produced = 0, 0
        while True:
            want = min(batch_size or 1000, limit - produced) if limit is not None else batch_size or 1000
            where = query.where
            if keyword is not None:
                candidates = keyword.candidates(query.account)
                where += (candidates,) if candidates is not None else ()
                # twice what is wanted, more once candidates have been turned down
                want = min(KEYWORD_BATCH, max(2 * want, 20) * (1 + rejected // 10))
            hits = self.store.search(Search(self.family, query.account, start_ms, end_ms, where, after, want)).hits
            for hit in hits:
                found = Found(hit.time_ms, hit.id, to_event(hit.source))
                if keyword is not None and not keyword.accepts(found.event):
                    rejected += 1
                    continue
                yield found
                produced += 1
                if limit is not None and produced >= limit:
                    return
            if len(hits) < want:
                return
            after = (hits[-1].time_ms, hits[-1].id)
