"""Password-rotation tasks (改密任务): the records, their rules, and their views.

A task names devices (DeviceIdSet) and account names (AccountSet); the device accounts it rotates
are the accounts with one of those names on one of those devices. Records are kind "pwdtask" in
the bastion table (layers/bastion/store.py), one per task:

    Id, OperationId, TaskName, DepartmentId, ChangeMethod, RunAccount, AuthGenerationStrategy,
    Password (sealed; strategy 3), PasswordLength, SmallLetter, BigLetter, Digit, Symbol (base64,
    as given), CompleteNotify, NotifyEmails, FilePassword (sealed), DeviceIds, AccountSet,
    Type (4 manual, 5 periodic), Period (days), FirstTime, NextTime,
    Results {"<DeviceId>/<Account>": {"Status": 1|2, "At", "Reason", "RunId"}},
    Run {"Id", "Pairs" ([[DeviceId, Account]] or null: all), "State" queued|running, "Until",
         "RequestedAt", "Trigger"} while a run is asked for or under way, LastRunAt.

The sealed values go through layers/bastion/secrets.py, bound to the account, the task and the
field. No view shows them: FilePassword reads "" and the manual Password is never returned.
Accounts that have tasks are listed under pk "pwd-accounts" for the schedule.
"""
import base64
import binascii
import math
import re
import secrets as _random
from datetime import datetime, timedelta
from typing import Dict, Iterable, List, Optional, Tuple

from layers import aws
from layers.bastion import checks, config, departments, filters, secrets, store, times, views
from layers.bastion.snapshot import Snapshot
from layers.gateway.errors import ApiError, invalid_value, missing, not_found

KIND = "pwdtask"
# Each task carries the result of each of its device accounts; a few tasks per shard item.
store.SHARD_SIZE.setdefault(KIND, 8)
TASK = "Password rotation task"

MANUAL, PERIODIC = 4, 5
BY_RUN_ACCOUNT, OWN_PASSWORD = 1, 2
SAME_RANDOM, DIFFERENT_RANDOM, GIVEN = 1, 2, 3
NEVER, CHANGED, FAILED = 0, 1, 2

SYMBOLS = "-_#();%~!+="
MIN_LENGTH, MAX_LENGTH = 12, 64           # a hosted password is at most 64 characters
MAX_ACCOUNT_NAMES = 100
MAX_EMAILS = 20
# A FirstTime this recent still runs at the next tick rather than one Period later.
FIRST_TIME_GRACE = timedelta(minutes=5)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

INFO_FIELDS = ("TaskName", "DepartmentId", "ChangeMethod", "RunAccount", "AuthGenerationStrategy",
               "PasswordLength", "SmallLetter", "BigLetter", "Digit", "Symbol", "CompleteNotify",
               "NotifyEmails", "Type", "Period", "FirstTime")


# ---- secrets of a task ----
def _context(owner: str, task_id: int, field: str) -> Dict[str, str]:
    return {"service": "bastion", "account": owner, "pwd_task": str(task_id), "field": field}


def seal(owner: str, task_id: int, field: str, value: str) -> dict:
    return secrets.seal(value, _context(owner, task_id, field))


def unseal(owner: str, task: dict, field: str) -> Optional[str]:
    blob = task.get(field)
    return secrets.open(blob, _context(owner, task["Id"], field)) if blob else None


# ---- rules ----
def symbols_of(symbol_b64: Optional[str]) -> str:
    """The special characters Symbol names (base64 of characters among -_#();%~!+=)."""
    if not symbol_b64:
        return ""
    try:
        text = base64.b64decode(symbol_b64, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise invalid_value("Symbol", "must be base64 of special characters among " + SYMBOLS) from None
    if set(text) - set(SYMBOLS):
        raise invalid_value("Symbol", "may contain only the special characters " + SYMBOLS)
    return "".join(dict.fromkeys(text))


def check_password(value: str) -> str:
    if _CONTROL.search(value):
        raise invalid_value("Password", "must not contain control characters")
    return value


def check(rec: dict, *, has_password: bool) -> None:
    """The rules that tie fields together, on the task as it would be stored."""
    if rec["ChangeMethod"] == BY_RUN_ACCOUNT and not rec.get("RunAccount"):
        raise missing("RunAccount")
    if rec["AuthGenerationStrategy"] == GIVEN:
        if not has_password:
            raise missing("Password")
    else:
        if rec.get("PasswordLength") is None:
            raise missing("PasswordLength")
        if not (rec.get("SmallLetter") or rec.get("BigLetter") or rec.get("Digit") or symbols_of(rec.get("Symbol"))):
            raise invalid_value("SmallLetter", "a generated password needs at least one kind of character "
                                               "(SmallLetter, BigLetter, Digit or Symbol)")
        symbols_of(rec.get("Symbol"))
    if rec.get("CompleteNotify") == 1 and not rec.get("NotifyEmails"):
        raise missing("NotifyEmails")
    if len(rec.get("NotifyEmails") or ()) > MAX_EMAILS:
        raise invalid_value("NotifyEmails", f"at most {MAX_EMAILS} addresses")
    if rec.get("Type", MANUAL) == PERIODIC:
        if not rec.get("Period"):
            raise missing("Period")
        if not rec.get("FirstTime"):
            raise missing("FirstTime")
    if len(rec["AccountSet"]) > MAX_ACCOUNT_NAMES:
        raise invalid_value("AccountSet", f"at most {MAX_ACCOUNT_NAMES} account names")
    for name in rec["AccountSet"] + ([rec["RunAccount"]] if rec.get("RunAccount") else []):
        if ":" in name:
            raise invalid_value("AccountSet" if name in rec["AccountSet"] else "RunAccount",
                                "a Linux account name has no `:`")


def first_time(text: str) -> str:
    """FirstTime as stored: ISO 8601 at +08:00 (a time without an offset is read as +08:00)."""
    try:
        return times.iso(times.parse(text))
    except ValueError:
        raise invalid_value("FirstTime", "not a datetime, e.g. 2024-05-01T02:00:00+08:00") from None


def next_slot(first: str, period_days: int, after: datetime) -> str:
    """The first run time FirstTime + k·Period (k ≥ 0) not earlier than `after`."""
    start, step = times.parse(first), timedelta(days=period_days)
    if start >= after:
        return times.iso(start)
    k = math.ceil((after - start) / step)
    return times.iso(start + k * step)


def schedule(rec: dict) -> None:
    """Set NextTime from Type, Period and FirstTime (a manual task has none)."""
    if rec.get("Type", MANUAL) == PERIODIC:
        rec["NextTime"] = next_slot(rec["FirstTime"], rec["Period"], times.now() - FIRST_TIME_GRACE)
    else:
        rec["NextTime"] = ""


def check_devices(tx: store.Tx, ids: List[int]) -> None:
    devices = checks.require_all(tx.get_many("device", ids), ids, checks.DEVICE)
    for d in devices:
        if d.get("Kind") != 1:
            raise invalid_value("DeviceIdSet", f"device {d['Id']} is not a Linux host; passwords are changed "
                                               "over SSH on Linux hosts only")


def unique_name(tx: store.Tx, name: str, except_id: int = 0) -> None:
    if checks.name_taken(tx.all(KIND), "TaskName", name, except_id):
        raise ApiError("FailedOperation.DuplicateData", f"A password rotation task named `{name}` already exists.")


def find(tx_or_owner, operation_id: str, department: Optional[str] = None) -> dict:
    """The task with this OperationId (ResourceNotFound otherwise, and when it is outside the
    department given)."""
    tx = tx_or_owner if isinstance(tx_or_owner, store.Tx) else store.Tx(tx_or_owner)
    if department:
        departments.tree(tx).check(department)       # an unknown department: ResourceNotFound
    recs = tx.all(KIND)
    for rec in recs.values():
        if rec["OperationId"] == operation_id:
            if department and not filters.in_department(rec, department):
                break
            return rec
    raise not_found(TASK, operation_id)


def new_operation_id(tx: store.Tx) -> str:
    taken = {r["OperationId"] for r in tx.all(KIND).values()}
    while True:
        op = "cpt-" + _random.token_hex(8)
        if op not in taken:
            return op


def register(owner: str) -> None:
    """List the account for the schedule (idempotent)."""
    aws.client("dynamodb").put_item(TableName=config.table(),
                                    Item={"pk": {"S": "pwd-accounts"}, "sk": {"S": owner}})


def accounts_with_tasks() -> List[str]:
    ddb, found, kwargs = aws.client("dynamodb"), [], {}
    while True:
        page = ddb.query(TableName=config.table(), KeyConditionExpression="pk = :pk",
                         ExpressionAttributeValues={":pk": {"S": "pwd-accounts"}}, **kwargs)
        found += [i["sk"]["S"] for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# ---- the device accounts a task rotates ----
def targets(task: dict, snap: Snapshot) -> List[Tuple[dict, dict]]:
    """(device, device account) pairs: accounts named in AccountSet on the task's devices that
    still exist, ordered by device, then account as AccountSet lists them."""
    by_device: Dict[int, Dict[str, dict]] = {}
    for acc in snap.accounts.values():
        by_device.setdefault(acc["DeviceId"], {})[acc["Account"]] = acc
    out = []
    for did in task["DeviceIds"]:
        device = snap.devices.get(did)
        if device is None:
            continue
        for name in task["AccountSet"]:
            acc = by_device.get(did, {}).get(name)
            if acc is not None:
                out.append((device, acc))
    return out


def pair_key(device_id: int, account: str) -> str:
    return f"{device_id}/{account}"


# ---- views ----
def info(rec: dict, snap: Snapshot) -> dict:
    """ChangePwdTaskInfo (no password: FilePassword reads "")."""
    return {
        "Id": rec["Id"], "OperationId": rec["OperationId"], "TaskName": rec["TaskName"],
        "Department": views.department(rec, snap),
        "ChangeMethod": rec["ChangeMethod"], "RunAccount": rec.get("RunAccount", ""),
        "AuthGenerationStrategy": rec["AuthGenerationStrategy"], "PasswordLength": rec.get("PasswordLength") or 0,
        "SmallLetter": rec.get("SmallLetter", 0), "BigLetter": rec.get("BigLetter", 0), "Digit": rec.get("Digit", 0),
        "Symbol": rec.get("Symbol", ""), "CompleteNotify": rec.get("CompleteNotify", 0),
        "NotifyEmails": list(rec.get("NotifyEmails") or ()), "FilePassword": "",
        "AccountSet": list(rec["AccountSet"]),
        "DeviceSet": [views.device(snap.devices[d], snap) for d in rec["DeviceIds"] if d in snap.devices],
        "Type": rec.get("Type", MANUAL), "Period": rec.get("Period") or 0, "FirstTime": rec.get("FirstTime", ""),
        "NextTime": rec.get("NextTime", ""),
    }


def details(rec: dict, snap: Snapshot) -> List[dict]:
    """ChangePwdTaskDetail of each device account the task rotates."""
    results = rec.get("Results") or {}
    return [{"Device": views.device(device, snap), "Account": acc["Account"],
             "LastChangeStatus": (results.get(pair_key(device["Id"], acc["Account"])) or {}).get("Status", NEVER)}
            for device, acc in targets(rec, snap)]


def strings(values: Iterable[str]) -> List[str]:
    return list(dict.fromkeys(values))
