"""LookupEvents (2019-03-04) and LookUpEvents (2019-03-19): one query path for both.

Times: StartTime/EndTime are milliseconds since the epoch, as the seed's examples are; a value
below 10^11 is taken as seconds (10^11 ms is in 1973, 10^11 s in year 5138), which is what the
2019-03-19 SDK examples send. An EndTime in seconds includes that whole second.

Refusals, before anything is read or written, use the lookup's own error codes (the 2019-03-19
error table, which LookupEvents shares): a time before 1970 or after year 9999, or a StartTime
later than EndTime, is InvalidParameterValue.Time; MaxResults outside 1..50 is
InvalidParameterValue.MaxResult; an AttributeKey that is not a lookup attribute is
InvalidParameterValue.attributeKey. CreateExportTask checks the same parameters with the plain
InvalidParameterValue, its own table having none of these codes.

DescribeEvents (2019-03-19) asks the same query with its own rules: only its lookup keys
(layers/audit/attribute_keys.py), a StartTime at most 90 days old (InvalidParameterValue.Time), a
range of at most 30 days (LimitExceeded.OverTime), and an integer NextToken — a position in the
events' order, not a signed token (lookup_numbered).
"""
import logging
import time
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from layers.audit import paging
from layers.audit.query import ATTRIBUTES, LOOKUP_TYPES, Found, Query, Scanner
from layers.search.default import default_store
from layers.search.store import SearchStore, StoreUnavailable
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError, invalid_value

log = logging.getLogger("guardzone.audit.lookup")
SECONDS_BELOW = 10 ** 11
MAX_MS = 253402300799999          # 9999-12-31T23:59:59.999Z: the last instant a date can hold
MAX_RESULTS = 50
TIME = "InvalidParameterValue.Time"
MAX_RESULT = "InvalidParameterValue.MaxResult"
ATTRIBUTE_KEY = "InvalidParameterValue.attributeKey"
OVER_TIME = "LimitExceeded.OverTime"
DAY_MS = 86_400_000
POSITION_SKIP = 10 ** 6      # a numeric NextToken: EventTime (ms) * POSITION_SKIP + events of that ms returned


def to_ms(value: int, *, end: bool = False) -> int:
    """Milliseconds; a time in seconds covers its whole second (an EndTime up to its .999)."""
    if value < SECONDS_BELOW:
        return value * 1000 + (999 if end else 0)
    return value


def _refusal(code: str, name: str, why: str) -> ApiError:
    """InvalidParameterValue naming the parameter, under `code` (a sub-code of it, or itself)."""
    return ApiError(code, invalid_value(name, why).message)


def time_ms(value: int, name: str, *, end: bool = False, code: str = "InvalidParameterValue") -> int:
    """A StartTime/EndTime in milliseconds, refused outside 1970 to year 9999."""
    ms = to_ms(value, end=end)
    if not 0 <= ms <= MAX_MS:
        raise _refusal(code, name, "must be a time from 1970 to the end of year 9999 (epoch seconds, or "
                                   f"milliseconds up to {MAX_MS})")
    return ms


def check_max_results(value: int) -> int:
    """A lookup action's MaxResults (the store itself pages any size)."""
    if not 1 <= value <= MAX_RESULTS:
        raise _refusal(MAX_RESULT, "MaxResults", f"must be between 1 and {MAX_RESULTS}")
    return value


def check_attribute_keys(attributes: Sequence[Tuple[str, str]], keys: Sequence[str] = ()) -> None:
    """Every AttributeKey one of `keys` (the action's own), or of ATTRIBUTES when none are named."""
    keys = keys or tuple(ATTRIBUTES)
    for i, (key, _) in enumerate(attributes):
        if key not in keys:
            raise _refusal(ATTRIBUTE_KEY, f"LookupAttributes.{i}.AttributeKey",
                           f"`{key}` is not a lookup attribute; use one of {', '.join(keys)}")


def check_recent_window(start_ms: int, end_ms: int, *, max_age_days: int, max_span_days: int,
                        now_ms: Optional[int] = None) -> None:
    """A StartTime no older than max_age_days (InvalidParameterValue.Time) and a range of at most
    max_span_days (LimitExceeded.OverTime), as DescribeEvents allows."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if start_ms < now_ms - max_age_days * DAY_MS:
        raise _refusal(TIME, "StartTime", f"must be within the last {max_age_days} days")
    if end_ms - start_ms >= max_span_days * DAY_MS + 1000:      # an EndTime in seconds ends at its .999
        raise ApiError(OVER_TIME, f"The range from StartTime to EndTime is more than {max_span_days} days; "
                       f"query at most {max_span_days} days at a time.")


@dataclass
class LookupRequest:
    start_time: int
    end_time: int
    max_results: int
    next_token: str = ""
    owner_uin: str = ""
    attributes: List[Tuple[str, str]] = field(default_factory=list)
    lookup_type: str = ""
    content_value: str = ""
    keys: Tuple[str, ...] = ()        # the AttributeKeys the action takes; () = every one of ATTRIBUTES
    max_age_days: int = 0             # > 0: StartTime at most this old, the range at most
    max_span_days: int = 0            # max_span_days long (check_recent_window)


@dataclass
class Page:
    events: List[dict]
    next_token: str
    list_over: bool


def target_account(ctx: RequestContext, owner_uin: str) -> str:
    """Whose events: the caller's own, or with an operator credential, OwnerUin's."""
    if not owner_uin or owner_uin == ctx.account:
        return ctx.account
    if not ctx.operator:
        raise ApiError("UnauthorizedOperation", "Only an operator credential may query another "
                       "account's events with `OwnerUin`.")
    if not (owner_uin.isascii() and owner_uin.isdigit()):
        raise invalid_value("OwnerUin", "must be an account uin (digits)")
    return owner_uin


def normalized_lookup_type(value: str) -> str:
    if not value:
        return "keyValue"
    for known in LOOKUP_TYPES:
        if value.lower() == known.lower():
            return known
    raise invalid_value("LookupType", f"must be one of {', '.join(LOOKUP_TYPES)}")


def build_query(req: LookupRequest, ctx: RequestContext, *, lookup_codes: bool = False) -> Tuple[Query, str]:
    """Validated query and its fingerprint (what a NextToken is bound to). lookup_codes: refuse
    with the lookup's own error codes (module docstring), else with plain InvalidParameterValue."""
    code = TIME if lookup_codes else "InvalidParameterValue"
    start = time_ms(req.start_time, "StartTime", code=code)
    end = time_ms(req.end_time, "EndTime", end=True, code=code)
    if start > end:
        raise _refusal(code, "StartTime", "must not be later than EndTime")
    if req.max_age_days:
        check_recent_window(start, end, max_age_days=req.max_age_days, max_span_days=req.max_span_days)
    if lookup_codes:
        check_attribute_keys(req.attributes, req.keys)
    account = target_account(ctx, req.owner_uin)
    lookup_type = normalized_lookup_type(req.lookup_type)
    fp = paging.fingerprint(account=account, start=start, end=end, lookup_type=lookup_type,
                            attributes=sorted([list(a) for a in req.attributes]),
                            content=(req.content_value or "").strip())
    return Query.of(account, start, end, req.attributes, lookup_type, req.content_value), fp


def lookup(req: LookupRequest, ctx: RequestContext, *, store: Optional[SearchStore] = None) -> Page:
    query, fp = build_query(req, ctx, lookup_codes=True)
    cursor = paging.decode(req.next_token, fp)
    try:
        found, next_cursor = Scanner(store or default_store()).page(query, req.max_results, cursor)
    except StoreUnavailable as exc:
        log.error("audit lookup failed: %s%s", exc, "; rebuild the day from the archive: guardzone audit "
                  "rebuild --day YYYY-MM-DD --fresh" if getattr(exc, "day", None) else "")
        raise ApiError("ResourceUnavailable", "The audit event store is unavailable at the moment; "
                       "events are kept and nothing is lost. Try again later.") from None
    token = paging.encode(next_cursor, fp) if next_cursor else ""
    return Page([f.event for f in found], token, next_cursor is None)


def _scan(store: Optional[SearchStore], query: Query, limit: int, cursor: Optional[paging.Cursor]) -> List[Found]:
    try:
        return Scanner(store or default_store()).scan(query, limit, cursor)
    except StoreUnavailable as exc:
        log.error("audit lookup failed: %s", exc)
        raise ApiError("ResourceUnavailable", "The audit event store is unavailable at the moment; "
                       "events are kept and nothing is lost. Try again later.") from None


@dataclass
class NumberedPage:
    events: List[dict]
    next_token: int       # 0: no more
    list_over: bool


def lookup_numbered(req: LookupRequest, ctx: RequestContext, position: int, *,
                    store: Optional[SearchStore] = None) -> NumberedPage:
    """A page of the query whose NextToken is a number (DescribeEvents): the EventTime (ms) of the
    last event returned times 10^6, plus how many events of that millisecond have been returned.
    The next page reads from that millisecond on and passes over those; like the signed tokens,
    it never repeats or skips an event as new ones arrive (all newer than the range's past). 0,
    or no token, is the first page. A number is a position, not bound to its query: another
    query's position is simply a place in this one's order."""
    query, _ = build_query(req, ctx, lookup_codes=True)
    if position < 0:
        raise invalid_value("NextToken", "must be a NextToken a previous call returned (or 0)")
    at_ms, seen = divmod(position, POSITION_SKIP) if position else (None, 0)
    if at_ms is not None and not query.start_ms <= at_ms <= query.end_ms:
        raise invalid_value("NextToken", "is not a position of this query's time range; repeat the "
                            "StartTime and EndTime of the call that returned it")
    cursor = paging.Cursor(at_ms + 1, "") if at_ms is not None else None    # that millisecond and older
    found = _scan(store, query, seen + req.max_results + 1, cursor)
    skipped = 0
    while skipped < min(seen, len(found)) and found[skipped].time_ms == at_ms:
        skipped += 1
    found = found[skipped:]
    page, more = found[:req.max_results], len(found) > req.max_results
    token = 0
    if more:
        last = page[-1].time_ms
        same = sum(1 for f in page if f.time_ms == last) + (skipped if last == at_ms else 0)
        if same >= POSITION_SKIP:
            raise ApiError(OVER_TIME, "Too many events share one millisecond to page through; narrow the "
                           "query with LookupAttributes.")
        token = last * POSITION_SKIP + same
    return NumberedPage([f.event for f in page], token, not more)


def attributes_of(items: Optional[Sequence]) -> List[Tuple[str, str]]:
    return [(a.AttributeKey, a.AttributeValue) for a in items or []]
