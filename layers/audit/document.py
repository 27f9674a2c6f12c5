"""An audit event as the gateway emits it (layers/gateway/audit_event.py) -> the record stored
in the search store (layers/search/): the event itself, as one JSON string, beside the fields
queries search.

    EventId, EventTime, AccountId   the record's id, time and account
    Keys     every value a LookupAttributes filter can name, scoped to the event's account:
             '<AccountId>|<field>|<value>' (scoped_key), the fields being the event's own
             (EventName, SourceIPAddress, ...) and three derived ones —
               ResourceIds   every resource name (LookupAttributes ResourceName / ResourceId)
               Tags          tags named in the request, as '["key"]' and '["key","value"]'
               CamErrorCode  the error code when the call failed authentication or authorization
               Location      where SourceIPAddress is (layers/audit/location.py), computed here
                             once and kept in the stored event too
    Words    the words of the event's text (names, Chinese names, error messages, request
             parameter values: content()) for ContentValue, each scoped to the event's account
             ('<AccountId>|<word>': layers/audit/words.py), separated by spaces
    Event    the event as emitted, one JSON string: what a search gives back

An exact-value filter is one term of Keys that carries the account, and a keyword's word one
term of Words that does: a value's postings are its account's alone.
"""
import json
from json.encoder import encode_basestring as _json_string
from typing import Any, Iterator, List, Optional

from layers.audit import catalog, words
from layers.audit.location import event_location
from layers.search.query import Family, Record

WORDS = "Words"
KEYS = "Keys"
EVENT = "Event"
ID_FIELDS = ("EventId", "RequestId", "SecretId", "SourceIPAddress", "Username", "PrincipalId")
IDENTIFIER_FIELDS = (*ID_FIELDS, "ResourceIds")    # the Keys fields whose values ids() lists
_CAM_ERRORS = ("AuthFailure", "UnauthorizedOperation")
_TAG_KEYS = (("TagKey", "TagValue"), ("key", "value"), ("Key", "Value"))
_MAX_ID = 128


class BadEvent(ValueError):
    """The message is not an audit event (no retry can fix it)."""


def parse_event(body: str) -> dict:
    try:
        event = json.loads(body)
    except ValueError:
        raise BadEvent("not JSON") from None
    return validate_event(event)


def validate_event(event: Any) -> dict:
    if not isinstance(event, dict):
        raise BadEvent("not a JSON object")
    event_id = event.get("EventId")
    if not isinstance(event_id, str) or not event_id or len(event_id) > _MAX_ID:
        raise BadEvent("EventId missing or invalid")
    event_time = event.get("EventTime")
    if isinstance(event_time, bool) or not isinstance(event_time, int) or event_time < 0:
        raise BadEvent("EventTime missing or invalid")
    if not isinstance(event.get("AccountId"), str):
        raise BadEvent("AccountId missing")
    return event


def resource_ids(event: dict) -> List[str]:
    names = []
    for r in event.get("Resources") or []:
        if isinstance(r, dict) and r.get("ResourceName"):
            names.append(str(r["ResourceName"]))
    for n in str(event.get("ResourceName") or "").split(","):
        if n and n not in names:
            names.append(n)
    return names


def tag_key(key: str, value: Optional[str] = None) -> str:
    """json.dumps([key] or [key, value], ensure_ascii=False), a string at a time (faster)."""
    if value is None:
        return f"[{_json_string(key)}]"
    return f"[{_json_string(key)}, {_json_string(value)}]"


def _tags_in(value: Any) -> Iterator[tuple]:
    if isinstance(value, dict):
        for k_name, v_name in _TAG_KEYS:
            if isinstance(value.get(k_name), str):
                tag_values = value.get(v_name)
                if isinstance(tag_values, list):
                    for v in tag_values:
                        yield value[k_name], str(v)
                elif tag_values is not None:
                    yield value[k_name], str(tag_values)
                else:
                    yield value[k_name], None
                return
        for v in value.values():
            yield from _tags_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _tags_in(v)


def tags(event: dict) -> List[str]:
    out: List[str] = []
    params = event.get("RequestParameters")
    if not isinstance(params, dict):
        return out
    for name, value in params.items():
        if "tag" not in name.lower():
            continue
        for key, val in _tags_in(value):
            for entry in (tag_key(key), tag_key(key, val) if val is not None else None):
                if entry and entry not in out:
                    out.append(entry)
    return out


def _scalars(value: Any, out: List[str]) -> List[str]:
    """Every non-empty scalar in value, as text, in order (booleans left out)."""
    if isinstance(value, str):
        if value:
            out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _scalars(v, out)
    elif isinstance(value, list):
        for v in value:
            _scalars(v, out)
    elif value is not None and not isinstance(value, bool):
        out.append(str(value))
    return out


# Fields whose words go into Words. Identifiers are not (they are in Keys): a keyword search
# matches them exactly, and the text index stays small.
TEXT_FIELDS = ("EventName", "EventSource", "EventRegion", "ResourceType", "ApiErrorCode", "ApiErrorMessage",
               "RequestParameters")


def content(event: dict) -> str:
    service, name = event.get("Service", ""), event.get("EventName", "")
    found = _scalars([event.get(k) for k in TEXT_FIELDS], [])
    found += (catalog.event_name_cn(service, name), catalog.resource_type_cn(service, event.get("ResourceType", "")))
    return " ".join(s for s in found if s)


def ids(event: dict) -> List[str]:
    """The event's identifiers, which a keyword search matches exactly (in Keys under
    IDENTIFIER_FIELDS)."""
    return list(dict.fromkeys(str(v) for v in [*(event.get(k) for k in ID_FIELDS), *resource_ids(event)] if v))


# The fields whose values go into Keys: query.ATTRIBUTES filters on them, a keyword search
# (ContentValue) matches identifiers among them.
KEYED_FIELDS = ("EventId", "EventName", "EventSource", "EventRegion", "RequestId", "PrincipalId", "Username",
                "SecretId", "SourceIPAddress", "ApiErrorCode", "CamErrorCode", "ResourceType", "ResourceIds",
                "Tags", "ReadOnly", "ActionType", "SensitiveAction", "Location")
_SEPARATOR = "|"


def scoped_key(account: str, field: str, value: Any) -> str:
    """The Keys term of one value of an account's event. An account id holds no separator, so
    the first one ends it: no value of one account can spell another account's key."""
    if _SEPARATOR in account:
        raise ValueError("an account id cannot hold the key separator")
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"{account}{_SEPARATOR}{field}{_SEPARATOR}{value}"


def _add_keys(out: dict, account: str, field_name: str, value: Any) -> None:
    """(Written flat: it runs for every field of every event indexed.)"""
    if isinstance(value, str):
        if value:
            out[f"{account}{_SEPARATOR}{field_name}{_SEPARATOR}{value}"] = None
    elif isinstance(value, list):
        for v in value:
            _add_keys(out, account, field_name, v)
    elif isinstance(value, (bool, int, float)):
        out[scoped_key(account, field_name, value)] = None


def keys(event: dict) -> List[str]:
    """The event's Keys terms: scoped_key of every non-empty value of KEYED_FIELDS, derived ones
    included, once each, in the fields' order."""
    account = str(event["AccountId"])
    if _SEPARATOR in account:
        raise ValueError("an account id cannot hold the key separator")
    code = str(event.get("ApiErrorCode") or "")
    derived = {"ResourceIds": resource_ids(event), "Tags": tags(event),
               "CamErrorCode": code if code.startswith(_CAM_ERRORS) else "", "Location": event_location(event)}
    out: dict = {}
    for f in KEYED_FIELDS:
        _add_keys(out, account, f, derived[f] if f in derived else event.get(f))
    return list(out)


def event_json(event: dict) -> str:
    """The event as one line of compact JSON: the archive's NDJSON line and the document's Event."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str)


def family(prefix: str) -> Family:
    """The daily partitions `<prefix>-YYYY.MM.DD` of the audit events."""
    return Family(prefix, terms=(KEYS,), words=(WORDS,), id_field="EventId", time_field="EventTime",
                  source_field=EVENT)


def to_record(event: dict, line: Optional[str] = None) -> Record:
    """The event's record; `line`, the JSON it was parsed from (a queue message's line), is kept
    as it is rather than written again."""
    account = str(event["AccountId"])
    return Record(event["EventId"], event["EventTime"], account,
                  {KEYS: keys(event), WORDS: words.scoped_text(account, words.normalize(content(event)))},
                  _with_location(event, line))


def _with_location(event: dict, line: Optional[str]) -> str:
    """The record's source: the event (its line as it came, when given) with its Location added
    when it has one and does not carry it yet — spliced into the line, not encoded again."""
    location = "" if "Location" in event else event_location(event)
    if not location:
        return line if line is not None else event_json(event)
    if line is None:
        return event_json({**event, "Location": location})
    body = line.rstrip()
    return f"{body[:-1]},\"Location\":{_json_string(location)}}}"


def to_event(source: str) -> dict:
    """The event as it was emitted, from a record's source."""
    return json.loads(source)
