"""Commands and file operations of bastion sessions: the queue message, the search store's
records (layers/search/) and the searches behind SearchCommand and SearchFile.

Sessions publish one JSON message per event on the session-log queue:

    {"Type": "command", "EventId": "...", "AccountId": "<OwnerUin>", "Time": "<ISO 8601 or epoch ms>",
     "Sid": "...", "UserName": "...", "RealName": "...", "Account": "root", "FromIp": "...",
     "InstanceId": "...", "DeviceName": "...", "PublicIp": "...", "PrivateIp": "...",
     "SessionTime": "<ISO 8601>", "Cmd": "ls -la", "Action": 1, "TimeOffset": 1200}
    (a database statement also "AffectedRows": 3, "Rows": 0, "Error": "ERROR 1146 (42S02): ...",
     kept with the record but not searched)
    {"Type": "file", ... the same session fields ..., "Method": 1, "FileCurr": "/a", "FileNew": "/b",
     "Size": 1024, "Protocol": "SFTP", "Action": 1}
    {"Type": "batch", "Events": [<command or file message>, ...]}    several events in one message
    (the MySQL proxy packs a session's statements: one queue call for hundreds of them)

The indexer (functions/events/bastion_session_log.py) writes them to daily partitions
bastion_command-YYYY.MM.DD / bastion_file-YYYY.MM.DD (UTC day of Time) with the EventId as
record id, so a redelivered message is indexed once. Every search is confined to the caller's
AccountId.
"""
import json
from datetime import datetime
from typing import Dict, List, Optional, Tuple

from layers.bastion import times
from layers.gateway.errors import invalid_value
from layers.search.default import default_store
from layers.search.query import Clause, Contains, Family, Record, Search, Term

COMMAND, FILE = "command", "file"
BATCH = "batch"
MAX_WINDOW = 10_000          # OpenSearch's index.max_result_window: Offset + Limit stay within it
_EXACT = ("Sid", "UserName", "Account", "FromIp", "InstanceId", "PublicIp", "PrivateIp", "SessionTime")
FAMILIES = {
    COMMAND: Family("bastion_command", terms=_EXACT, numbers=("Action", "TimeOffset"),
                    texts=("RealName", "DeviceName", "Cmd")),
    FILE: Family("bastion_file", terms=(*_EXACT, "Protocol"), numbers=("Action", "Method", "Size"),
                 texts=("RealName", "DeviceName", "FileCurr", "FileNew")),
}

_SESSION_TEXT = ("Sid", "UserName", "RealName", "Account", "FromIp", "InstanceId", "DeviceName", "PublicIp",
                 "PrivateIp", "SessionTime")
_TEXT = {COMMAND: _SESSION_TEXT + ("Cmd",), FILE: _SESSION_TEXT + ("FileCurr", "FileNew", "Protocol")}
_NUMBERS = {COMMAND: ("Action", "TimeOffset"), FILE: ("Action", "Method", "Size")}
# database statements (the MySQL proxy): affected rows, rows returned and the error, if any
_KEPT = {COMMAND: (("AffectedRows", True), ("Rows", True), ("Error", False))}
_RESULT = {
    COMMAND: ("Time", "UserName", "RealName", "InstanceId", "DeviceName", "PublicIp", "PrivateIp", "Cmd",
              "Action", "Sid", "TimeOffset", "Account", "FromIp", "SessionTime"),
    FILE: ("Time", "UserName", "RealName", "InstanceId", "DeviceName", "PublicIp", "PrivateIp", "Action",
           "Method", "FileCurr", "FileNew"),
}


def _when(value) -> datetime:
    if isinstance(value, bool):
        raise ValueError("Time must be an ISO 8601 string or epoch milliseconds")
    if isinstance(value, (int, float)):
        return times.from_millis(int(value))
    if isinstance(value, str) and value.strip():
        return times.parse(value)
    raise ValueError("Time must be an ISO 8601 string or epoch milliseconds")


def record(message: dict) -> Tuple[str, Record]:
    """(kind, record) for one queue message; ValueError if it is not a session event."""
    kind = message.get("Type")
    if kind not in FAMILIES:
        raise ValueError(f"unknown Type {kind!r}")
    event_id, account = message.get("EventId"), message.get("AccountId")
    if not isinstance(event_id, str) or not event_id or not isinstance(account, str) or not account:
        raise ValueError("EventId and AccountId are required strings")
    when = _when(message.get("Time"))
    source = {"Time": times.millis(when)}
    for name in _TEXT[kind]:
        value = message.get(name)
        if value is not None:
            source[name] = str(value)
    for name in _NUMBERS[kind]:
        value = message.get(name)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer")
            source[name] = value
    fields = {k: v for k, v in source.items() if k != "Time"}
    for name, integer in _KEPT.get(kind, ()):        # kept with the record, not searched
        value = message.get(name)
        if value is None:
            continue
        if integer and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{name} must be an integer")
        source[name] = value if integer else str(value)
    return kind, Record(event_id, source["Time"], account, fields, json.dumps(source, ensure_ascii=False))


def contains(field: str, text: str) -> Clause:
    return Contains(field, text)


def exact(field: str, value) -> Clause:
    return Term(field, (value,))


def session_clauses(p, own: List[Clause]) -> List[Clause]:
    """SearchCommand / SearchFile filters: the session fields (UserName, InstanceId, PublicIp and
    PrivateIp exactly; RealName and DeviceName as substrings), then the action's own clauses, then
    AuditAction."""
    out = [exact(name, getattr(p, name)) for name in ("UserName", "InstanceId", "PublicIp", "PrivateIp")
           if getattr(p, name)]
    out += [contains(name, getattr(p, name)) for name in ("RealName", "DeviceName") if getattr(p, name)]
    out += own
    if p.AuditAction:
        out.append(Term("Action", tuple(p.AuditAction)))
    return out


def search(store, kind: str, account: str, start: datetime, end: datetime, clauses: List[Clause],
           offset: int, limit: int) -> Tuple[int, List[dict]]:
    """Newest first: (total, results shaped as SearchCommandResult / SearchFileResult)."""
    found = store.search(Search(FAMILIES[kind], account, times.millis(start), times.millis(end), tuple(clauses),
                                size=limit, offset=offset, count=True))
    return found.total, [result(kind, json.loads(h.source)) for h in found.hits]


def result(kind: str, source: Dict) -> dict:
    out: Dict = {}
    for name in _RESULT[kind]:
        if name == "Time":
            out[name] = times.iso(times.from_millis(source["Time"]))
        elif name in source:
            out[name] = source[name]
    return out


def window(start: str, end: Optional[str]) -> Tuple[datetime, datetime]:
    return times.parse(start), times.parse(end) if end else times.now()


def check_page(offset: int, limit: int) -> None:
    """Offset + Limit within the store's result window (every session search pages so)."""
    if offset + limit > MAX_WINDOW:
        raise invalid_value("Offset", f"Offset + Limit must be at most {MAX_WINDOW}")


def search_page(kind: str, account: str, start_time: str, end_time: Optional[str], clauses: List[dict],
                offset: int, limit: int) -> Tuple[int, List[dict]]:
    """SearchCommand / SearchFile: check the window and the page, then search the caller's sessions."""
    start, end = window(start_time, end_time)
    if start > end:
        raise invalid_value("EndTime", "must not be earlier than StartTime")
    check_page(offset, limit)
    return search(default_store(), kind, account, start, end, clauses, offset, limit)
