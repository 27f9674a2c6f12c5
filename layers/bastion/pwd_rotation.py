"""Running password-rotation tasks: log in to each device over SSH, change the account's password
with the target's own passwd/chpasswd, check the new one by logging in with it, and host it.

    request(owner, operation_id, ...)   RunChangePwdTask: ask for a run (at once) and kick it
    run(owner, task_id)                 claim the asked-for run and do it
    run_scheduled()                     the schedule: ask for the runs periodic tasks are due,
                                        then do every run nobody is doing

A run is asked for by writing task["Run"] (State "queued"); a runner claims it with a
conditional write (State "running", a lease it extends after each device account), so one run is
done once, whoever gets it first: the thread RunChangePwdTask starts in its own process, or the
schedule. A runner that dies leaves a lapsed lease, and the next schedule tick carries the run on
from the device accounts it had not finished. Where a thread outlives no request (Lambda: a
function's process is frozen between invocations) the schedule alone runs them
(GZ_BASTION_PWD_RUNNER=schedule, the default when AWS_LAMBDA_FUNCTION_NAME is set).

One device account, step by step (a failure at any step ends it with LastChangeStatus 2):
  1. take the account's lock (two tasks never change one account at once);
  2. connect as RunAccount (ChangeMethod 1) or the account itself (2) with its hosted password or
     private key — layers/bastion/ssh/target.py, the target's host key pinned as the gateway pins
     it (hostkeys.py), so a changed host key gets no credential;
  3. seal the new password as the account's PendingPassword (so a runner dying after the change
     does not lose it), then change it: `chpasswd` (as root, else through `sudo -S`) or `passwd`
     answering its prompts on a PTY;
  4. log in as the account with the new password; if that fails, change it back;
  5. host the new password (Password, sealed as BindDeviceAccountPassword seals it) and drop the
     pending one.
Until step 5 the old password stays hosted. Passwords are never logged or returned; a reason
kept with a result has every password of the attempt blanked out.
"""
import asyncio
import logging
import os
import secrets as _random
import string
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from botocore.exceptions import ClientError

from layers import aws
from layers.bastion import config, pwd_tasks, secrets, store, times
from layers.bastion.snapshot import Snapshot
from layers.bastion.ssh.access import Denied, Grant
from layers.gateway.errors import ApiError, invalid_value

if TYPE_CHECKING:
    import asyncssh
    from layers.bastion.ssh import target

log = logging.getLogger("guardzone.bastion.pwd")

LEASE_SECONDS = 300            # a claimed run or a locked account, unless extended
COMMAND_TIMEOUT = 30           # passwd / chpasswd on the target
PARALLEL = 4                   # device accounts of one run changed at once
DEADLINE_MARGIN = 30           # no device account is started closer than this to the invocation's deadline
PENDING = "PendingPassword"
# NextTime moves strictly past now: a slot that is exactly now has just been asked for.
_TICK = timedelta(seconds=1)


def runner_mode() -> str:
    mode = os.environ.get("GZ_BASTION_PWD_RUNNER", "").strip().lower()
    if mode in ("thread", "schedule"):
        return mode
    return "schedule" if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else "thread"


# ---- passwords ----
def generate(task: dict) -> str:
    """A random password of PasswordLength with at least one character of each class chosen."""
    classes = [c for c, on in ((string.ascii_lowercase, task.get("SmallLetter")),
                               (string.ascii_uppercase, task.get("BigLetter")),
                               (string.digits, task.get("Digit")),
                               (pwd_tasks.symbols_of(task.get("Symbol")), True)) if on and c]
    pool = "".join(classes)
    length = max(int(task["PasswordLength"]), len(classes))
    chars = [_random.choice(c) for c in classes] + [_random.choice(pool) for _ in range(length - len(classes))]
    _random.SystemRandom().shuffle(chars)
    return "".join(chars)


# ---- asking for a run ----
def _active(run: Optional[dict], now: float) -> bool:
    return bool(run) and (run["State"] == "queued" or run["Until"] > now)


def request(owner: str, operation_id: str, department: Optional[str], pairs: Optional[List[Tuple[int, str]]]) -> dict:
    """RunChangePwdTask: record the run (all the task's device accounts, or the pairs given) and
    kick it. FailedOperation.TooFrequent while a run of the task is asked for or under way."""
    snap = Snapshot(owner)

    def write(tx: store.Tx) -> dict:
        task = pwd_tasks.find(tx, operation_id, department)
        if pairs is not None:
            covered = {(d["Id"], a["Account"]) for d, a in pwd_tasks.targets(task, snap)}
            for did, name in pairs:
                if (did, name) not in covered:
                    raise invalid_value("Details", f"account `{name}` of device {did} is not one this task changes")
        if _active(task.get("Run"), time.time()):
            raise ApiError("FailedOperation.TooFrequent", "A run of this task is already under way.")
        task["Run"] = _new_run(pairs, "manual")
        tx.put(pwd_tasks.KIND, task)
        return task

    task = store.transaction(owner, write)
    kick(owner, task["Id"], task["Run"]["Id"])
    return task


def _new_run(pairs, trigger: str) -> dict:
    return {"Id": uuid.uuid4().hex, "Pairs": [list(p) for p in pairs] if pairs is not None else None,
            "State": "queued", "Until": 0, "RequestedAt": times.iso_now(), "Trigger": trigger}


def kick(owner: str, task_id: int, run_id: str) -> None:
    """Start the run now in a thread of this process (the schedule picks it up otherwise)."""
    if runner_mode() != "thread":
        return
    threading.Thread(target=run, args=(owner, task_id, run_id), name=f"pwd-rotation-{task_id}",
                     daemon=True).start()


# ---- running ----
@dataclass
class Claim:
    owner: str
    task: dict
    run: dict
    token: str


def _claim(owner: str, task_id: int, run_id: Optional[str]) -> Optional[Claim]:
    token = uuid.uuid4().hex

    def write(tx: store.Tx) -> Optional[dict]:
        task = tx.get(pwd_tasks.KIND, task_id)
        run_ = (task or {}).get("Run")
        if not run_ or (run_id and run_["Id"] != run_id):
            return None
        if run_["State"] == "running" and run_["Until"] > time.time():
            return None
        run_.update(State="running", Until=time.time() + LEASE_SECONDS, Token=token)
        if task["AuthGenerationStrategy"] == pwd_tasks.SAME_RANDOM and "Password" not in run_:
            run_["Password"] = secrets.seal(generate(task), _run_context(owner, task_id, run_["Id"]))
        tx.put(pwd_tasks.KIND, task)
        return task

    task = store.transaction(owner, write)
    return Claim(owner, task, task["Run"], token) if task else None


def _run_context(owner: str, task_id: int, run_id: str) -> dict:
    return {"service": "bastion", "account": owner, "pwd_task": str(task_id), "field": "run-password", "run": run_id}


def _record(claim: Claim, key: str, status: int, reason: str) -> bool:
    """Write one device account's result and extend the lease; False once the task is gone or the
    run is no longer this runner's."""
    def write(tx: store.Tx) -> bool:
        task = tx.get(pwd_tasks.KIND, claim.task["Id"])
        if task is None:
            return False
        task.setdefault("Results", {})[key] = {"Status": status, "At": times.iso_now(), "Reason": reason,
                                               "RunId": claim.run["Id"]}
        run_ = task.get("Run") or {}
        mine = run_.get("Id") == claim.run["Id"] and run_.get("Token") == claim.token
        if mine:
            run_["Until"] = time.time() + LEASE_SECONDS
        tx.put(pwd_tasks.KIND, task)
        return mine

    return store.transaction(claim.owner, write)


def _finish(claim: Claim, done: bool) -> None:
    """Drop the run (done) or hand it back to the queue (stopped at the deadline)."""
    def write(tx: store.Tx) -> None:
        task = tx.get(pwd_tasks.KIND, claim.task["Id"])
        run_ = (task or {}).get("Run") or {}
        if run_.get("Id") != claim.run["Id"] or run_.get("Token") != claim.token:
            return
        if done:
            task.pop("Run")
            task["LastRunAt"] = times.iso_now()
        else:
            run_.update(State="queued", Until=0)
            run_.pop("Token", None)
        tx.put(pwd_tasks.KIND, task)

    store.transaction(claim.owner, write)


def run(owner: str, task_id: int, run_id: Optional[str] = None, deadline: Optional[float] = None) -> Optional[dict]:
    """Claim the task's run and do it; returns {"changed": n, "failed": n} or None when there was
    nothing to claim. `deadline` (time.monotonic()) stops starting device accounts near it."""
    try:
        claim = _claim(owner, task_id, run_id)
        if claim is None:
            return None
        return asyncio.run(_run(claim, deadline))
    except Exception:
        log.exception("password rotation task %s/%s failed", owner, task_id)
        return None


async def _run(claim: Claim, deadline: Optional[float]) -> dict:
    loop = asyncio.get_running_loop()
    task, run_ = claim.task, claim.run
    snap = await loop.run_in_executor(None, _snapshot, claim.owner)
    wanted = {tuple(p) for p in run_["Pairs"]} if run_.get("Pairs") is not None else None
    results = task.get("Results") or {}
    todo = [(d, a) for d, a in pwd_tasks.targets(task, snap)
            if (wanted is None or (d["Id"], a["Account"]) in wanted)
            and (results.get(pwd_tasks.pair_key(d["Id"], a["Account"])) or {}).get("RunId") != run_["Id"]]
    accounts_by_device: Dict[int, Dict[str, dict]] = {}
    for acc in snap.accounts.values():
        accounts_by_device.setdefault(acc["DeviceId"], {})[acc["Account"]] = acc
    same = (secrets.open(run_["Password"], _run_context(claim.owner, task["Id"], run_["Id"]))
            if run_.get("Password") else None)
    given = pwd_tasks.unseal(claim.owner, task, "Password") if task["AuthGenerationStrategy"] == pwd_tasks.GIVEN else None
    gate = asyncio.Semaphore(PARALLEL)
    summary = {"changed": 0, "failed": 0}
    state = {"mine": True, "stopped": False}

    async def one(device: dict, acc: dict) -> None:
        async with gate:
            if not state["mine"]:
                return
            if deadline is not None and deadline - time.monotonic() < DEADLINE_MARGIN:
                state["stopped"] = True
                return
            new = given or same or generate(task)
            run_acc = accounts_by_device.get(device["Id"], {}).get(task.get("RunAccount") or "")
            status, reason = await rotate(claim.owner, task, device, acc, run_acc, new, claim.token)
            summary["changed" if status == pwd_tasks.CHANGED else "failed"] += 1
            log.info("password rotation %s device %s account %s: %s%s", task["OperationId"], device["Id"],
                     acc["Account"], "changed" if status == pwd_tasks.CHANGED else "failed",
                     f" ({reason})" if reason else "")
            key = pwd_tasks.pair_key(device["Id"], acc["Account"])
            state["mine"] = await loop.run_in_executor(None, _record, claim, key, status, reason) and state["mine"]

    await asyncio.gather(*(one(d, a) for d, a in todo))
    if state["mine"]:
        await loop.run_in_executor(None, _finish, claim, not state["stopped"])
    return summary


def _snapshot(owner: str) -> Snapshot:
    snap = Snapshot(owner)
    snap.devices, snap.accounts   # noqa: B018 (load both now, off the event loop)
    return snap


# ---- one device account ----
class Failed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _lock_key(owner: str, aid: int) -> dict:
    return {"pk": {"S": f"{owner}#pwdlock"}, "sk": {"S": str(aid)}}


def _lock(owner: str, aid: int, token: str) -> bool:
    try:
        aws.client("dynamodb").put_item(
            TableName=config.table(), Item={**_lock_key(owner, aid), "token": {"S": token},
                                            "until": {"N": str(int(time.time()) + LEASE_SECONDS)}},
            ConditionExpression="attribute_not_exists(pk) OR #u < :now OR #t = :t",
            ExpressionAttributeNames={"#u": "until", "#t": "token"},
            ExpressionAttributeValues={":now": {"N": str(int(time.time()))}, ":t": {"S": token}})
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False


def _unlock(owner: str, aid: int, token: str) -> None:
    try:
        aws.client("dynamodb").delete_item(TableName=config.table(), Key=_lock_key(owner, aid),
                                           ConditionExpression="#t = :t", ExpressionAttributeNames={"#t": "token"},
                                           ExpressionAttributeValues={":t": {"S": token}})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


def _write_account(owner: str, aid: int, change) -> bool:
    """Change the device account's record (False when it is gone)."""
    def write(tx: store.Tx) -> bool:
        rec = tx.get("account", aid)
        if rec is None:
            return False
        change(rec)
        tx.put("account", rec)
        return True

    return store.transaction(owner, write)


def _stage(owner: str, aid: int, new: str) -> bool:
    sealed = secrets.seal(new, secrets.context(owner, aid, "pending_password"))
    return _write_account(owner, aid, lambda rec: rec.__setitem__(PENDING, sealed))


def _host(owner: str, aid: int, new: str) -> bool:
    """The new password becomes the hosted one, sealed exactly as BindDeviceAccountPassword does."""
    sealed = secrets.seal(new, secrets.context(owner, aid, "password"))

    def change(rec: dict) -> None:
        rec["Password"] = sealed
        rec.pop(PENDING, None)
    return _write_account(owner, aid, change)


def _drop_pending(owner: str, aid: int) -> None:
    _write_account(owner, aid, lambda rec: rec.pop(PENDING, None))


def _scrub(text: str, *passwords: Optional[str]) -> str:
    for p in passwords:
        if p:
            text = text.replace(p, "******")
    return " ".join(text.split())[:160]


async def rotate(owner: str, task: dict, device: dict, acc: dict, run_acc: Optional[dict], new: str,
                 token: str) -> Tuple[int, str]:
    """Change one device account's password; (LastChangeStatus, reason)."""
    loop = asyncio.get_running_loop()
    aid = acc["Id"]
    if not await loop.run_in_executor(None, _lock, owner, aid, token):
        return pwd_tasks.FAILED, "another task is changing this account"
    try:
        return await _rotate(owner, task, device, acc, run_acc, new)
    except Failed as exc:
        return pwd_tasks.FAILED, exc.reason
    except Exception as exc:      # an unexpected failure is this account's, not the run's
        log.exception("password rotation of account %s failed", aid)
        return pwd_tasks.FAILED, type(exc).__name__
    finally:
        await loop.run_in_executor(None, _unlock, owner, aid, token)


async def _rotate(owner: str, task: dict, device: dict, acc: dict, run_acc: Optional[dict],
                  new: str) -> Tuple[int, str]:
    from layers.bastion.ssh import target      # asyncssh on first use, not at start (cold start)
    loop = asyncio.get_running_loop()
    own = Grant(owner=owner, user={}, device=device, device_account=acc)
    old = await loop.run_in_executor(None, target.hosted, own)
    if task["ChangeMethod"] == pwd_tasks.BY_RUN_ACCOUNT:
        if run_acc is None:
            raise Failed(f"the device has no account `{task['RunAccount']}` to run as")
        via = Grant(owner=owner, user={}, device=device, device_account=run_acc)
        cred = await loop.run_in_executor(None, target.hosted, via)
    else:
        via, cred = own, old
    if not cred.any:
        raise Failed(f"no password or private key is hosted for `{via.device_account['Account']}`")
    if task["ChangeMethod"] == pwd_tasks.OWN_PASSWORD and acc["Account"] != "root" and not old.password:
        raise Failed("passwd asks for the current password, and none is hosted")
    try:
        conn = await target.connect(via, cred)
    except Denied as exc:
        raise Failed(exc.message) from None
    secret = (old.password, new, cred.password)
    async with conn:
        if not await loop.run_in_executor(None, _stage, owner, acc["Id"], new):
            raise Failed("the device account was deleted")
        try:
            await _change(conn, task, acc["Account"], cred, old.password, new)
        except Failed as exc:
            await loop.run_in_executor(None, _drop_pending, owner, acc["Id"])
            raise Failed(_scrub(exc.reason, *secret)) from None
        try:
            await _verify(own, new)
        except Failed as exc:
            why = _scrub(exc.reason, *secret)
            try:
                if not old.password:
                    raise Failed("no old password to change back to")
                await _change(conn, task, acc["Account"], cred, new, old.password)
            except Failed as back:
                log.error("password rotation: account %s of device %s now has a password that did not log in "
                          "and could not be changed back (%s); it is kept sealed as its pending password",
                          acc["Account"], device["Id"], _scrub(back.reason, *secret))
                raise Failed(f"the new password did not log in ({why}); changing it back failed") from None
            await loop.run_in_executor(None, _drop_pending, owner, acc["Id"])
            raise Failed(f"the new password did not log in ({why}); the old one was set again") from None
    if not await loop.run_in_executor(None, _host, owner, acc["Id"], new):
        raise Failed("the device account was deleted during the change")
    return pwd_tasks.CHANGED, ""


async def _change(conn: "asyncssh.SSHClientConnection", task: dict, account: str, cred: "target.Hosted",
                  current: Optional[str], new: str) -> None:
    if task["ChangeMethod"] == pwd_tasks.BY_RUN_ACCOUNT:
        await _chpasswd(conn, task["RunAccount"], cred, account, new)
    else:
        await _passwd(conn, current, new)


async def _chpasswd(conn, run_as: str, cred: "target.Hosted", account: str, new: str) -> None:
    import asyncssh      # asyncssh on first use, not at start (cold start)
    line = f"{account}:{new}\n"
    if run_as == "root":
        command, stdin = "chpasswd", line
    elif cred.password:
        command, stdin = "sudo -S -p '' chpasswd", f"{cred.password}\n{line}"
    else:
        command, stdin = "sudo -n chpasswd", line
    try:
        result = await asyncio.wait_for(conn.run(command, input=stdin, check=False), COMMAND_TIMEOUT)
    except (asyncssh.Error, OSError, asyncio.TimeoutError) as exc:
        raise Failed(f"{command}: {type(exc).__name__}") from None
    if result.exit_status != 0:
        raise Failed(f"{command} exited {result.exit_status}: {str(result.stderr or '').strip()}")


async def _passwd(conn, current: Optional[str], new: str) -> None:
    """Run the target's passwd on a PTY and answer its prompts."""
    import asyncssh      # asyncssh on first use, not at start (cold start)
    try:
        proc = await conn.create_process("LC_ALL=C passwd", term_type="dumb", term_size=(200, 24))
    except (asyncssh.Error, OSError) as exc:
        raise Failed(f"passwd: {type(exc).__name__}") from None
    seen, buffer, asked_new = "", "", 0
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            while True:
                chunk = await proc.stdout.read(4096)
                if not chunk:
                    break
                seen += chunk
                buffer += chunk
                prompt = buffer.rstrip().rsplit("\n", 1)[-1].strip().lower()
                if not prompt.endswith(":"):
                    continue
                if "new" in prompt or "retype" in prompt or "again" in prompt:
                    asked_new += 1
                    if asked_new > 2:
                        raise Failed("the target refused the new password: " + seen)
                    answer = new
                elif "password" in prompt:
                    if current is None:
                        raise Failed("passwd asked for the current password, and none is hosted")
                    answer = current
                else:
                    continue
                proc.stdin.write(answer + "\n")
                buffer = ""
            status = (await proc.wait()).exit_status
    except TimeoutError:
        raise Failed("passwd did not finish: " + seen) from None
    except (asyncssh.Error, OSError) as exc:
        raise Failed(f"passwd: {type(exc).__name__}") from None
    finally:
        proc.close()
    if status != 0:
        raise Failed(f"passwd exited {status}: {seen}")


async def _verify(own: Grant, new: str) -> None:
    from layers.bastion.ssh import target      # asyncssh on first use, not at start (cold start)
    try:
        conn = await target.connect(own, target.Hosted(password=new))
    except Denied as exc:
        raise Failed(exc.message) from None
    conn.close()
    await conn.wait_closed()


# ---- the schedule ----
def run_scheduled(deadline: Optional[float] = None) -> dict:
    """Ask for the runs of periodic tasks that are due (NextTime reached: the next slot of their
    Period is set at once), then do every run that is asked for and not under way."""
    summary = {"due": 0, "runs": 0, "changed": 0, "failed": 0}
    for owner in pwd_tasks.accounts_with_tasks():
        try:
            summary["due"] += _ask_due(owner)
            for task in store.load_all(owner, pwd_tasks.KIND).values():
                run_ = task.get("Run")
                if not run_ or (run_["State"] == "running" and run_["Until"] > time.time()):
                    continue
                if deadline is not None and deadline - time.monotonic() < DEADLINE_MARGIN:
                    return summary
                done = run(owner, task["Id"], run_["Id"], deadline)
                if done is not None:
                    summary["runs"] += 1
                    summary["changed"] += done["changed"]
                    summary["failed"] += done["failed"]
        except Exception:
            log.exception("password rotation schedule: account %s", owner)
    return summary


def _ask_due(owner: str) -> int:
    now = times.now()

    def write(tx: store.Tx) -> int:
        asked = 0
        for task in tx.all(pwd_tasks.KIND).values():
            if task.get("Type") != pwd_tasks.PERIODIC or not task.get("NextTime"):
                continue
            if times.parse(task["NextTime"]) > now:
                continue
            task["NextTime"] = pwd_tasks.next_slot(task["FirstTime"], task["Period"], now + _TICK)
            if not _active(task.get("Run"), time.time()):
                task["Run"] = _new_run(None, "schedule")
                asked += 1
            tx.put(pwd_tasks.KIND, task)
        return asked

    return store.transaction(owner, write)
