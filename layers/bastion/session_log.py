"""Commands and file operations of bastion sessions: the queue message, the OpenSearch documents
and the searches behind SearchCommand and SearchFile.

Sessions publish one JSON message per event on the session-log queue:

    {"Type": "command", "EventId": "...", "AccountId": "<OwnerUin>", "Time": "<ISO 8601 or epoch ms>",
     "Sid": "...", "UserName": "...", "RealName": "...", "Account": "root", "FromIp": "...",
     "InstanceId": "...", "DeviceName": "...", "PublicIp": "...", "PrivateIp": "...",
     "SessionTime": "<ISO 8601>", "Cmd": "ls -la", "Action": 1, "TimeOffset": 1200}
    {"Type": "file", ... the same session fields ..., "Method": 1, "FileCurr": "/a", "FileNew": "/b",
     "Size": 1024, "Protocol": "SFTP", "Action": 1}

The indexer (functions/events/bastion_session_log.py) writes them to daily indices
bastion_command-YYYY.MM.DD / bastion_file-YYYY.MM.DD (UTC day of Time) with the EventId as
document id, so a redelivered message is indexed once. Every search is confined to the caller's
AccountId.
"""
from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple

from layers.bastion import times
from layers.gateway.errors import invalid_value
from layers.stores.opensearch import client

COMMAND, FILE = "command", "file"
INDEX_PREFIX = {COMMAND: "bastion_command", FILE: "bastion_file"}
MAX_WINDOW = 10_000          # OpenSearch's index.max_result_window: Offset + Limit stay within it

_SESSION_TEXT = ("Sid", "UserName", "RealName", "Account", "FromIp", "InstanceId", "DeviceName", "PublicIp",
                 "PrivateIp", "SessionTime")
_TEXT = {COMMAND: _SESSION_TEXT + ("Cmd",), FILE: _SESSION_TEXT + ("FileCurr", "FileNew", "Protocol")}
_NUMBERS = {COMMAND: ("Action", "TimeOffset"), FILE: ("Action", "Method", "Size")}
_RESULT = {
    COMMAND: ("Time", "UserName", "RealName", "InstanceId", "DeviceName", "PublicIp", "PrivateIp", "Cmd",
              "Action", "Sid", "TimeOffset", "Account", "FromIp", "SessionTime"),
    FILE: ("Time", "UserName", "RealName", "InstanceId", "DeviceName", "PublicIp", "PrivateIp", "Action",
           "Method", "FileCurr", "FileNew"),
}


def index_name(kind: str, when: datetime) -> str:
    return f"{INDEX_PREFIX[kind]}-{when.astimezone(timezone.utc):%Y.%m.%d}"


def pattern(kind: str) -> str:
    return f"{INDEX_PREFIX[kind]}-*"


def _when(value) -> datetime:
    if isinstance(value, bool):
        raise ValueError("Time must be an ISO 8601 string or epoch milliseconds")
    if isinstance(value, (int, float)):
        return times.from_millis(int(value))
    if isinstance(value, str) and value.strip():
        return times.parse(value)
    raise ValueError("Time must be an ISO 8601 string or epoch milliseconds")


def document(message: dict) -> Tuple[str, str, dict]:
    """(index, id, source) for one queue message; ValueError if it is not a session event."""
    kind = message.get("Type")
    if kind not in INDEX_PREFIX:
        raise ValueError(f"unknown Type {kind!r}")
    event_id, account = message.get("EventId"), message.get("AccountId")
    if not isinstance(event_id, str) or not event_id or not isinstance(account, str) or not account:
        raise ValueError("EventId and AccountId are required strings")
    when = _when(message.get("Time"))
    source = {"AccountId": account, "Time": times.millis(when)}
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
    return index_name(kind, times.from_millis(source["Time"])), event_id, source


def _escape(text: str) -> str:
    return "".join("\\" + c if c in "\\*?" else c for c in text)


def contains(field: str, text: str) -> dict:
    return {"wildcard": {field: {"value": f"*{_escape(text)}*", "case_insensitive": True}}}


def exact(field: str, value: str) -> dict:
    return {"term": {field: value}}


def session_clauses(p, own: List[dict]) -> List[dict]:
    """SearchCommand / SearchFile filters: the session fields (UserName, InstanceId, PublicIp and
    PrivateIp exactly; RealName and DeviceName as substrings), then the action's own clauses, then
    AuditAction."""
    out = [exact(name, getattr(p, name)) for name in ("UserName", "InstanceId", "PublicIp", "PrivateIp")
           if getattr(p, name)]
    out += [contains(name, getattr(p, name)) for name in ("RealName", "DeviceName") if getattr(p, name)]
    out += own
    if p.AuditAction:
        out.append({"terms": {"Action": p.AuditAction}})
    return out


def search(client, kind: str, account: str, start: datetime, end: datetime, clauses: List[dict],
           offset: int, limit: int) -> Tuple[int, List[dict]]:
    """Newest first: (total, results shaped as SearchCommandResult / SearchFileResult)."""
    query = {"bool": {"filter": [exact("AccountId", account),
                                 {"range": {"Time": {"gte": times.millis(start), "lte": times.millis(end)}}},
                                 *clauses]}}
    body = {"query": query, "sort": [{"Time": "desc"}, {"_id": "asc"}], "from": offset, "size": limit,
            "track_total_hits": True}
    got = client.search(index=pattern(kind), body=body, ignore_unavailable=True, allow_no_indices=True)
    return got["hits"]["total"]["value"], [result(kind, h["_source"]) for h in got["hits"]["hits"]]


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


def search_page(kind: str, account: str, start_time: str, end_time: Optional[str], clauses: List[dict],
                offset: int, limit: int) -> Tuple[int, List[dict]]:
    """SearchCommand / SearchFile: check the window and the page, then search the caller's sessions."""
    start, end = window(start_time, end_time)
    if start > end:
        raise invalid_value("EndTime", "must not be earlier than StartTime")
    if offset + limit > MAX_WINDOW:
        raise invalid_value("Offset", f"Offset + Limit must be at most {MAX_WINDOW}")
    return search(client(), kind, account, start, end, clauses, offset, limit)
