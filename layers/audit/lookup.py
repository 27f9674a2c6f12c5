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
"""
import logging
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from layers.audit import paging
from layers.audit.query import ATTRIBUTES, LOOKUP_TYPES, Query, Scanner
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


def check_attribute_keys(attributes: Sequence[Tuple[str, str]]) -> None:
    for i, (key, _) in enumerate(attributes):
        if key not in ATTRIBUTES:
            raise _refusal(ATTRIBUTE_KEY, f"LookupAttributes.{i}.AttributeKey",
                           f"`{key}` is not a lookup attribute; use one of {', '.join(ATTRIBUTES)}")


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
    if lookup_codes:
        check_attribute_keys(req.attributes)
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


def attributes_of(items: Optional[Sequence]) -> List[Tuple[str, str]]:
    return [(a.AttributeKey, a.AttributeValue) for a in items or []]
