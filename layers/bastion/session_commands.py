"""The commands of sessions: SearchCommandBySid (one session's commands) and SearchSessionCommand
(the sessions that ran a command), over the "command" records of session_log.py and the sessions
of sessions.py. Commands come newest first, as in SearchCommand.

SearchSessionCommand groups commands by session, which the search store cannot do: it reads every
matching command of the window (keyset pages of SCAN_CHUNK), keeping one command per session,
then reads the page's sessions and their matching commands. Past MAX_MATCHES matching commands
it asks for a narrower search (LimitExceeded) rather than run out of time."""
import json
from dataclasses import replace
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from layers.bastion import session_log, sessions, times
from layers.gateway.errors import ApiError
from layers.search.query import DAY_MS, Clause, Hit, Search, Term

COMMANDS = session_log.FAMILIES[session_log.COMMAND]
SCAN_CHUNK = 1000
MAX_MATCHES = 100_000
SLACK_MS = 60_000       # commands are stamped by the gateway that stamps the session: a margin for rounding
_COMMAND = ("Cmd", "Time", "TimeOffset", "Action", "Sid", "UserName", "Account", "InstanceId", "FromIp",
            "SessionTime", "SessTime", "Size")
_SESSION_FIELDS = ("UserName", "RealName", "DeviceName", "PrivateIp", "PublicIp", "InstanceId", "ApCode")


def scan(store, search: Search) -> Iterator[Hit]:
    """Every record of a search, newest first, read in keyset pages."""
    after = None
    while True:
        found = store.search(replace(search, size=SCAN_CHUNK, after=after, offset=0, count=False))
        yield from found.hits
        if len(found.hits) < SCAN_CHUNK:
            return
        after = (found.hits[-1].time_ms, found.hits[-1].id)


def command(source: dict, session: Optional[dict]) -> dict:
    """A command record as the Command structure; Size is its session's, once the session ended."""
    out = {k: v for k, v in source.items() if k in _COMMAND}
    out["Time"] = times.iso(times.from_millis(source["Time"]))
    if "SessionTime" in source:
        out["SessTime"] = source["SessionTime"]         # the model's older name of SessionTime
    if session is not None and session.get("Status") != sessions.ACTIVE:
        out["Size"] = session.get("Size", 0)
    return {k: out[k] for k in _COMMAND if k in out}


def session_of(store, account: str, sid: str) -> Optional[dict]:
    rec = sessions.pending(account, sid)
    return rec if rec is not None else sessions.indexed(store, account, sid)


def by_sid(store, account: str, sid: str, where: Sequence[Clause], offset: int, limit: int,
           session: Optional[dict]) -> Tuple[int, List[dict]]:
    """SearchCommandBySid: (TotalCount, CommandSet). The session, when known, bounds the days read."""
    now = times.millis(times.now())
    if session is not None:
        lo, hi = session["StartTime"] - SLACK_MS, (session.get("EndTime") or now) + SLACK_MS
    else:
        lo, hi = 0, now + DAY_MS
    found = store.search(Search(COMMANDS, account, max(0, lo), hi, (Term("Sid", (sid,)), *where), size=limit,
                                offset=offset, count=True))
    return found.total, [command(json.loads(h.source), session) for h in found.hits]


def _started(source: dict) -> int:
    """When a command's session started: its SessionTime, else the command's own time."""
    try:
        return times.millis(times.parse(source["SessionTime"]))
    except (KeyError, TypeError, ValueError):
        return source["Time"]


def sessions_with(store, account: str, where: Sequence[Clause], start_ms: int, end_ms: int, offset: int,
                  limit: int) -> Tuple[int, List[dict]]:
    """SearchSessionCommand: the sessions with a command of the window matching `where`, newest
    session first, each with its matching commands: (TotalCount, CommandSessionSet)."""
    groups: Dict[str, dict] = {}
    for n, hit in enumerate(scan(store, Search(COMMANDS, account, start_ms, end_ms, tuple(where)))):
        if n >= MAX_MATCHES:
            raise ApiError("LimitExceeded", f"More than {MAX_MATCHES} commands match: narrow Cmd or the time range.")
        source = json.loads(hit.source)
        sid = source.get("Sid")
        if not sid:
            continue
        group = groups.get(sid)
        if group is None:
            groups[sid] = {"first": source, "start": _started(source)}
        else:
            group["start"] = min(group["start"], _started(source))
    ordered = sorted(groups.items(), key=lambda kv: (kv[1]["start"], kv[0]), reverse=True)
    page = ordered[offset:offset + limit]
    if not page:
        return len(ordered), []
    sids = tuple(sid for sid, _ in page)
    known = {r["Sid"]: r for r in sessions.all_pending(account) if r["Sid"] in sids}
    rest = tuple(s for s in sids if s not in known)
    if rest:
        lo = min(groups[s]["start"] for s in rest) - DAY_MS
        hi = max(groups[s]["start"] for s in rest) + DAY_MS
        found = store.search(Search(sessions.FAMILY, account, max(0, lo), hi, (Term("Sid", rest),), size=len(rest)))
        known.update((r["Sid"], r) for r in map(json.loads, (h.source for h in found.hits)))
    matched: Dict[str, List[dict]] = {s: [] for s in sids}
    for hit in scan(store, Search(COMMANDS, account, start_ms, end_ms, (Term("Sid", sids), *where))):
        source = json.loads(hit.source)
        matched[source["Sid"]].append(command(source, known.get(source["Sid"])))
    return len(ordered), [_session_command(sid, group, known.get(sid), matched[sid]) for sid, group in page]


def _session_command(sid: str, group: dict, session: Optional[dict], commands: List[dict]) -> dict:
    src = session or group["first"]
    out = {"StartTime": times.iso(times.from_millis(session["StartTime"] if session else group["start"]))}
    if session is not None and session.get("EndTime") is not None:
        out["EndTime"] = times.iso(times.from_millis(session["EndTime"]))
    out.update((k, src[k]) for k in _SESSION_FIELDS if k in src)
    out.update(Commands=commands, Count=len(commands), Id=sid)
    return out
