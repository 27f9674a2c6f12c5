"""Logins to the bastion (DescribeLoginEvent): the gateway publishes one per attempt,

    publish(account, user_name=..., real_name=..., source_ip=..., entry=1, result=1, reason="",
            time_ms=...)

which goes on the session-log queue as

    {"Type": "login", "EventId": "<uuid7 hex>", "AccountId": "<OwnerUin>", "Time": <epoch ms>,
     "UserName": "...", "RealName": "...", "SourceIp": "...", "Entry": 1, "Result": 2,
     "Reason": "wrong password"}

and is indexed into bastion_login-YYYY.MM.DD (UTC day of Time, record id = EventId, so a
redelivery is indexed once). Entry: 1 character terminal, 2 graphical, 3 web, 4 API; Result: 1
success, 2 failure. Reason stays in the record for operators: LoginEvent has no field for it.
"""
import json
from typing import List, Sequence, Tuple

from layers.bastion import session_queue, times
from layers.search.query import Clause, Family, Record, Search
from layers.timeids import uuid7

LOGIN = "login"
ENTRIES, RESULTS = (1, 2, 3, 4), (1, 2)
FAMILY = Family("bastion_login", numbers=("Entry", "Result"), texts=("UserName", "RealName", "SourceIp"))
_TEXT = ("UserName", "RealName", "SourceIp", "Reason")
_RESULT = ("UserName", "RealName", "Time", "SourceIp", "Entry", "Result")


def _number(name: str, value, allowed: Sequence[int]) -> int:
    if isinstance(value, bool) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}")
    return value


def _time(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("Time must be epoch milliseconds")
    return value


def publish(account: str, *, user_name: str, real_name: str, source_ip: str, entry: int, result: int, reason: str,
            time_ms: int) -> None:
    """One login attempt. ValueError if a value is out of its range."""
    message = {"Type": LOGIN, "EventId": uuid7(_time(time_ms)).hex, "AccountId": account, "Time": time_ms,
               "UserName": user_name, "RealName": real_name, "SourceIp": source_ip,
               "Entry": _number("entry", entry, ENTRIES), "Result": _number("result", result, RESULTS),
               "Reason": reason}
    record(message)                     # what the consumer would refuse is refused here
    session_queue.publish(message)


def record(message: dict) -> Record:
    """The search-store record of a "login" message; ValueError if it is not one."""
    if message.get("Type") != LOGIN:
        raise ValueError(f"not a login message: Type {message.get('Type')!r}")
    event_id, account = message.get("EventId"), message.get("AccountId")
    if not isinstance(event_id, str) or not event_id or not isinstance(account, str) or not account:
        raise ValueError("EventId and AccountId are required strings")
    source = {"Time": _time(message.get("Time")), "Entry": _number("Entry", message.get("Entry"), ENTRIES),
              "Result": _number("Result", message.get("Result"), RESULTS)}
    for name in _TEXT:
        value = message.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
            source[name] = value
    fields = {k: v for k, v in source.items() if k in FAMILY.numbers + FAMILY.texts}
    return Record(event_id, source["Time"], account, fields, json.dumps(source, ensure_ascii=False))


def result(source: dict) -> dict:
    """A record as LoginEvent (without the reason)."""
    out = {**source, "Time": times.iso(times.from_millis(source["Time"]))}
    return {k: out[k] for k in _RESULT if k in out}


def search(store, account: str, start_ms: int, end_ms: int, where: Sequence[Clause], offset: int,
           limit: int) -> Tuple[int, List[dict]]:
    """Newest first: (TotalCount, LoginEventSet)."""
    found = store.search(Search(FAMILY, account, start_ms, end_ms, tuple(where), size=limit, offset=offset,
                                count=True))
    return found.total, [result(json.loads(h.source)) for h in found.hits]
