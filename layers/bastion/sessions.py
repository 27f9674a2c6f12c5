"""Bastion sessions: what the SSH gateway records when a session starts and ends, and the
records SearchSession reads.

The gateway calls

    start(account, session)       session: Sid, UserName, RealName, Account (device account),
                                  FromIp, InstanceId, DeviceName, PublicIp, PrivateIp, ApCode,
                                  Protocol ("SSH"), Kind (1 = tui), StartTime (epoch ms)
    finish(account, sid, *, end_ms, status, size, count, danger_count,
           record_key, record_sha256, record_size)
    progress(account, sid, count, danger_count)   while it runs, now and then
    recording(account, sid) -> {"key", "sha256", "size"} or None   (for the replay)

A session that has not been indexed yet is an item of the bastion table:

    pk "<OwnerUin>#livesession"  sk "<Sid>"  st (N): Status  rec (S): the session as JSON

start() writes it with Status 1 (active); progress() keeps its command counts beside (cnt, dng),
so that a session a killed gateway left is finished with what it had counted. finish() rewrites it with the final fields (Status 2
ended, 3 forced offline, 4 other error) and publishes on the session-log queue

    {"Type": "session", "AccountId": "<OwnerUin>", "Sid": "...", "UserName": "...",
     "RealName": "...", "Account": "root", "FromIp": "...", "InstanceId": "...",
     "DeviceName": "...", "PublicIp": "...", "PrivateIp": "...", "ApCode": "ap-guangzhou",
     "Protocol": "SSH", "Kind": 1, "StartTime": <ms>, "EndTime": <ms>, "Status": 2, "Size": 0,
     "Count": 0, "DangerCount": 0, "RecordKey": "...", "RecordSha256": "...", "RecordSize": 0}

which the consumer indexes into bastion_session-YYYY.MM.DD (UTC day of StartTime, record id
"<OwnerUin>:<Sid>": a store keeps one record per id and day whatever its account, and a
redelivery is indexed once) and then settles: the item goes. A finished session is
thus always searchable: from its item until it is indexed, from the index after.
"""
import json
from typing import Dict, List, Optional

from layers import aws
from layers.bastion import config, session_queue, times
from layers.search.default import default_store
from layers.search.query import DAY_MS, Family, Record, Search, Term

SESSION = "session"
ACTIVE, ENDED, FORCED_OFFLINE, FAILED = 1, 2, 3, 4
FINAL = (ENDED, FORCED_OFFLINE, FAILED)
_TEXT = ("Sid", "UserName", "RealName", "Account", "FromIp", "InstanceId", "DeviceName", "PublicIp", "PrivateIp",
         "ApCode", "Protocol")
_COUNTS = ("Size", "Count", "DangerCount", "RecordSize")
FAMILY = Family("bastion_session",
                terms=("Sid", "UserName", "Account", "FromIp", "InstanceId", "PublicIp", "PrivateIp", "ApCode",
                       "Protocol"),
                numbers=("Kind", "Status", "Size", "Count", "DangerCount"), texts=("RealName", "DeviceName"))
_RESULT = ("UserName", "RealName", "Account", "StartTime", "EndTime", "Size", "InstanceId", "DeviceName", "PrivateIp",
           "PublicIp", "FromIp", "Duration", "Count", "DangerCount", "Status", "Id", "ApCode", "Protocol")


def _ddb():
    return aws.client("dynamodb")


def _key(account: str, sid: str) -> dict:
    return {"pk": {"S": f"{account}#livesession"}, "sk": {"S": sid}}


def _count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")
    return value


def _text(name: str, value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _sid(value) -> str:
    if not isinstance(value, str) or not value or len(value.encode("utf-8")) > 256:
        raise ValueError("Sid must be a non-empty string of at most 256 bytes")
    return value


def record_id(account: str, sid: str) -> str:
    return f"{account}:{sid}"


def _session(session: dict) -> dict:
    """The validated copy of what start() is given, as an active session."""
    rec: Dict = {"Sid": _sid(session.get("Sid"))}
    for name in _TEXT[1:]:
        if session.get(name) is not None:
            rec[name] = _text(name, session[name])
    rec.setdefault("Protocol", "SSH")
    rec["Kind"] = session.get("Kind", 1)
    if rec["Kind"] not in (1, 2, 3, 4) or isinstance(rec["Kind"], bool):
        raise ValueError("Kind must be 1 (tui), 2 (gui), 3 (file) or 4 (database)")
    rec["StartTime"] = _count("StartTime", session.get("StartTime"))
    rec["Status"] = ACTIVE
    return rec


def _put(account: str, rec: dict) -> None:
    _ddb().put_item(TableName=config.table(), Item={
        **_key(account, rec["Sid"]), "st": {"N": str(rec["Status"])},
        "rec": {"S": json.dumps(rec, ensure_ascii=False, separators=(",", ":"))}})


def start(account: str, session: dict) -> None:
    """An active session (Status 1). ValueError if a field has the wrong type; starting the same
    Sid again replaces it."""
    _put(account, _session(session))


def progress(account: str, sid: str, count: int, danger_count: int) -> None:
    """The command counts of an active session so far (an ended one is left as it is)."""
    ddb = _ddb()
    try:
        ddb.update_item(TableName=config.table(), Key=_key(account, sid), ConditionExpression="st = :active",
                        UpdateExpression="SET cnt = :c, dng = :d",
                        ExpressionAttributeValues={":active": {"N": str(ACTIVE)},
                                                   ":c": {"N": str(_count("count", count))},
                                                   ":d": {"N": str(_count("danger_count", danger_count))}})
    except ddb.exceptions.ConditionalCheckFailedException:
        pass


def finish(account: str, sid: str, *, end_ms: int, status: int, size: int, count: Optional[int] = None,
           danger_count: Optional[int] = None, record_key: str, record_sha256: str, record_size: int) -> None:
    """End a session: status 2 (ended), 3 (forced offline) or 4 (other error); counts left out are
    what progress() last kept. Calling it again is harmless. LookupError if the account has no
    such session."""
    if status not in FINAL or isinstance(status, bool):
        raise ValueError("status must be 2 (ended), 3 (forced offline) or 4 (other error)")
    rec = pending(account, sid)
    final = {"EndTime": _count("end_ms", end_ms), "Status": status, "Size": _count("size", size),
             "Count": _count("count", (rec or {}).get("Count", 0) if count is None else count),
             "DangerCount": _count("danger_count",
                                   (rec or {}).get("DangerCount", 0) if danger_count is None else danger_count),
             "RecordKey": _text("record_key", record_key), "RecordSha256": _text("record_sha256", record_sha256),
             "RecordSize": _count("record_size", record_size)}
    if rec is None:
        if indexed(default_store(), account, sid) is not None:
            return                      # finished and indexed already
        raise LookupError(f"the account has no session {sid!r}")
    if rec["Status"] == ACTIVE:
        rec = {**rec, **final}
        _put(account, rec)
    # a retry publishes what the first call stored: the index keeps the first message anyway
    session_queue.publish({"Type": SESSION, "AccountId": account, **rec})


def pending(account: str, sid: str) -> Optional[dict]:
    """The session's item (active, or finished but not indexed yet), or None."""
    got = _ddb().get_item(TableName=config.table(), Key=_key(account, sid), ConsistentRead=True).get("Item")
    return _item(got) if got else None


def _item(item: dict) -> dict:
    rec = json.loads(item["rec"]["S"])
    if rec["Status"] == ACTIVE:
        rec["Count"], rec["DangerCount"] = int(item.get("cnt", {}).get("N", 0)), int(item.get("dng", {}).get("N", 0))
    return rec


def all_pending(account: str) -> List[dict]:
    """Every item of the account: its active sessions and those finished but not indexed yet."""
    out, kwargs = [], {}
    while True:
        page = _ddb().query(TableName=config.table(), KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": {"S": f"{account}#livesession"}},
                            ConsistentRead=True, **kwargs)
        out += [_item(item) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def settle(account: str, sid: str) -> None:
    """Drop a finished session's item once its record is indexed (an active one stays)."""
    ddb = _ddb()
    try:
        ddb.delete_item(TableName=config.table(), Key=_key(account, sid), ConditionExpression="st <> :active",
                        ExpressionAttributeValues={":active": {"N": str(ACTIVE)}})
    except ddb.exceptions.ConditionalCheckFailedException:
        pass                            # gone already, or active again under the same Sid


def indexed(store, account: str, sid: str) -> Optional[dict]:
    """The session's indexed record, whenever it started."""
    found = store.search(Search(FAMILY, account, 0, times.millis(times.now()) + DAY_MS, (Term("Sid", (sid,)),),
                                size=1))
    return json.loads(found.hits[0].source) if found.hits else None


def recording(account: str, sid: str) -> Optional[dict]:
    """{"key", "sha256", "size"} of a finished session's recording; None while it runs or if
    there is no such session."""
    rec = pending(account, sid)
    if rec is None:
        rec = indexed(default_store(), account, sid)
    if rec is None or rec.get("Status", ACTIVE) == ACTIVE or "RecordKey" not in rec:
        return None
    return {"key": rec["RecordKey"], "sha256": rec.get("RecordSha256", ""), "size": rec.get("RecordSize", 0)}


def record(message: dict) -> Record:
    """The search-store record of a "session" message; ValueError if it is not one."""
    if message.get("Type") != SESSION:
        raise ValueError(f"not a session message: Type {message.get('Type')!r}")
    account = message.get("AccountId")
    if not isinstance(account, str) or not account:
        raise ValueError("AccountId is a required string")
    rec = _session(message)
    if message.get("Status") not in FINAL or isinstance(message.get("Status"), bool):
        raise ValueError("Status must be 2, 3 or 4")
    rec["Status"] = message["Status"]
    rec["EndTime"] = _count("EndTime", message.get("EndTime"))
    for name in _COUNTS:
        rec[name] = _count(name, message.get(name, 0))
    for name in ("RecordKey", "RecordSha256"):
        rec[name] = _text(name, message.get(name, ""))
    fields = {k: v for k, v in rec.items() if k in FAMILY.terms + FAMILY.numbers + FAMILY.texts}
    return Record(record_id(account, rec["Sid"]), rec["StartTime"], account, fields,
                  json.dumps(rec, ensure_ascii=False, separators=(",", ":")))


def result(rec: dict, now_ms: int) -> dict:
    """A session as SessionResult (an active one: its duration so far, no EndTime)."""
    end = rec.get("EndTime")
    out = {**{k: rec[k] for k in _TEXT if k in rec}, "Id": rec["Sid"], "Status": rec["Status"],
           "StartTime": times.iso(times.from_millis(rec["StartTime"])),
           "Duration": max(0, (end if end is not None else now_ms) - rec["StartTime"]) / 1000,
           **{k: rec.get(k, 0) for k in ("Size", "Count", "DangerCount")}}
    if end is not None:
        out["EndTime"] = times.iso(times.from_millis(end))
    return {k: out[k] for k in _RESULT if k in out}
