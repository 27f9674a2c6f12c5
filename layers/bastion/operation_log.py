"""The bastion's operation log (DescribeOperationEvent) and audit log (SearchAuditLog), read from
the audit trail: the same search store and daily partitions CloudAudit's LookUpEvents reads
(layers/audit/), confined to the caller's account and to the bastion's own events (EventSource
`bhsaas.tencentcloudapi.com`, whichever of its names, bhsaas or dasb, the call used).

Operation log: every call that changes something (ActionType Write), failed ones included.
    UserName   the caller's uin (CloudAudit's Username)      RealName  that CAM user's name
    Time       the event's time (ISO 8601, +08:00)            SourceIp  SourceIPAddress
    Kind       the area acted on, from the action's ResourceType (KINDS; 0 anything else)
    Operation  "<Chinese event name> <EventName>: <resources named>"
    Result     1 succeeded, 2 failed                          SignValue "" (events are not signed)

Audit log: an auditor's look into one session's record — SearchCommandBySid and SearchFileBySid
calls that succeeded (what the console's replay page reads) — as Operation 1 (回放, replay), with
the session's host fields (InstanceId, DeviceName, PrivateIp, PublicIp, Protocol). Uin is the
account, SubAccountUin the calling user's uin, ClientIp the caller's address. No action here
interrupts (2) or monitors (3) a session, so those never appear; replays with the `guardzone
bastion replay/transcript/link` admin commands bypass the API and are not in the trail.
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from layers import identity
from layers.audit import catalog
from layers.audit.config import audit_settings
from layers.audit.document import KEYS, family, scoped_key, to_event
from layers.bastion import session_commands, times
from layers.gateway.errors import ApiError
from layers.search.default import default_store
from layers.search.query import Clause, Contains, Search, Term
from layers.search.store import StoreUnavailable

SOURCE = "bhsaas.tencentcloudapi.com"
KINDS = {1: "user", 2: "usergroup", 3: "device", 4: "devicegroup", 5: "deviceaccount", 6: "acl",
         7: "cmdtemplate", 8: "resource", 9: "changepwdtask"}
OTHER = 0
_KIND_OF = {v: k for k, v in KINDS.items()}
REPLAY = 1
REPLAY_ACTIONS = ("SearchCommandBySid", "SearchFileBySid")
_BATCH = 1000


def key(account: str, field: str, value) -> Term:
    return Term(KEYS, (scoped_key(account, field, value),))


def contains(account: str, field: str, text: str) -> Clause:
    return Contains(KEYS, text, prefix=scoped_key(account, field, ""))


def writes(account: str) -> Tuple[Clause, ...]:
    return key(account, "ActionType", "Write"),


def kind_clause(account: str, kind: int) -> Optional[Clause]:
    """Kind as a store clause (None for OTHER, which is checked event by event)."""
    return None if kind == OTHER else key(account, "ResourceType", KINDS[kind])


def replays(account: str) -> Tuple[Clause, ...]:
    return Term(KEYS, tuple(scoped_key(account, "EventName", a) for a in REPLAY_ACTIONS)),


def failed(event: dict) -> bool:
    return bool(event.get("ErrorCode") or event.get("ApiErrorCode"))


def kind_of(event: dict) -> int:
    return _KIND_OF.get(event.get("ResourceType") or "", OTHER)


def search(account: str, start_ms: int, end_ms: int, where: Sequence[Clause], offset: int, limit: int,
           keep: Optional[Callable[[dict], bool]] = None) -> Tuple[int, List[dict]]:
    """(total, events of the page), newest first. Without `keep` the store pages and counts;
    with it every matching event of the range is read and checked here."""
    store, fam = default_store(), family(audit_settings().index_prefix)
    where = (key(account, "EventSource", SOURCE), *where)
    try:
        if keep is None:
            found = store.search(Search(fam, account, start_ms, end_ms, where, size=limit, offset=offset, count=True))
            return found.total or 0, [to_event(h.source) for h in found.hits]
        kept, after = [], None
        while True:
            hits = store.search(Search(fam, account, start_ms, end_ms, where, after=after, size=_BATCH)).hits
            kept += [e for e in map(to_event, (h.source for h in hits)) if keep(e)]
            if len(hits) < _BATCH:
                return len(kept), kept[offset:offset + limit]
            after = (hits[-1].time_ms, hits[-1].id)
    except StoreUnavailable:
        raise ApiError("ResourceUnavailable", "The audit log is unavailable at the moment; nothing is lost. "
                       "Try again later.") from None


def when(event: dict) -> str:
    return times.iso(times.from_millis(event["EventTime"]))


def names(account: str, events: Sequence[dict]) -> Dict[str, str]:
    return identity.user_names(account, {e.get("Username") or "" for e in events})


def operation(event: dict) -> str:
    name = event.get("EventName", "")
    text = " ".join(s for s in (catalog.event_name_cn(event.get("Service", ""), name), name) if s)
    touched = event.get("ResourceName") or ""
    return f"{text}: {touched}" if touched else text


def operation_event(event: dict, real_names: Dict[str, str]) -> dict:
    uin = event.get("Username") or ""
    return {"UserName": uin, "RealName": real_names.get(uin, ""), "Time": when(event),
            "SourceIp": event.get("SourceIPAddress") or "", "Kind": kind_of(event), "Operation": operation(event),
            "Result": 2 if failed(event) else 1, "SignValue": ""}


def audit_log(account: str, events: Sequence[dict]) -> List[dict]:
    """AuditLogResult of each replay event, with its session's host fields."""
    store, seen, out = default_store(), {}, []
    for event in events:
        params = event.get("RequestParameters") or {}
        sid = str(params.get("Sid") or "")
        if sid not in seen:
            seen[sid] = session_commands.session_of(store, account, sid) if sid else None
        session = seen[sid] or {}
        out.append({"Sid": sid, "Uin": account, "Time": when(event), "ClientIp": event.get("SourceIPAddress") or "",
                    "Operation": REPLAY, **{k: session.get(k, "") for k in ("InstanceId", "DeviceName", "Protocol",
                                                                            "PrivateIp", "PublicIp")},
                    "SubAccountUin": event.get("Username") or ""})
    return out
