"""Password-rotation tasks (改密任务) through the typed DasbClient: CreateChangePwdTask,
ModifyChangePwdTask, DeleteChangePwdTask, DescribeChangePwdTask, DescribeChangePwdTaskDetail and
RunChangePwdTask; validation, tenancy, the schedule, and rotations against a real sshd and a real
Linux account (tests/e2e/bastion/sshd_target.py) that really change its password."""
import asyncio
import base64
import json
import socket
import time
from datetime import timedelta

import asyncssh
import pytest

from infra.pump import Pump
from layers.bastion import pwd_rotation, pwd_tasks, secrets, store, times
from sshd_target import Sshd, unavailable

ACTIONS = ("CreateChangePwdTask", "ModifyChangePwdTask", "DeleteChangePwdTask", "DescribeChangePwdTask",
           "DescribeChangePwdTaskDetail", "RunChangePwdTask")
OLD = "Old-pass-2024x"


# ---- helpers ----
def linux(bh, ip: str = "10.0.0.7", port: int = 22) -> int:
    return bh.devices(ip, port=port)[0]


def account(bh, device: int, name: str, password=None, private_key=None) -> int:
    aid = bh.call("CreateDeviceAccount", DeviceId=device, Account=name)["Id"]
    if password is not None:
        bh.call("BindDeviceAccountPassword", Id=aid, Password=password)
    if private_key is not None:
        bh.call("BindDeviceAccountPrivateKey", Id=aid, PrivateKey=private_key)
    return aid


def task(bh, devices, accounts=("root",), **extra) -> str:
    params = {"TaskName": "rotate", "DeviceIdSet": list(devices), "AccountSet": list(accounts), "ChangeMethod": 2,
              "AuthGenerationStrategy": 2, "PasswordLength": 16, "SmallLetter": 1, "BigLetter": 1, "Digit": 1,
              **extra}
    return bh.call("CreateChangePwdTask", **params)["OperationId"]


def tasks(bh, **filters) -> list:
    return bh.call("DescribeChangePwdTask", **filters)["Tasks"]


def details(bh, op: str, **filters) -> list:
    return bh.call("DescribeChangePwdTaskDetail", OperationId=op, **filters)["Details"]


def record(bh, op: str) -> dict:
    return pwd_tasks.find(bh.acct["OwnerUin"], op)


def wait_run(bh, op: str, timeout: float = 60) -> dict:
    """The task once its run is over (the run goes on in a thread of the API's process)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        rec = record(bh, op)
        if not rec.get("Run"):
            return rec
        time.sleep(0.1)
    raise AssertionError("the run did not finish")


def hosted_blob(bh, aid: int):
    return store.get_many(bh.acct["OwnerUin"], "account", [aid])[aid].get("Password")


def hosted_password(bh, aid: int) -> str:
    """The hosted password, read back through the hosted-password layer (never the API)."""
    owner = bh.acct["OwnerUin"]
    return secrets.open(hosted_blob(bh, aid), secrets.context(owner, aid, "password"))


def logs_in(port: int, user: str, password: str) -> bool:
    async def attempt() -> bool:
        try:
            conn = await asyncssh.connect("127.0.0.1", port, username=user, password=password, known_hosts=None,
                                          client_keys=None, agent_path=None, preferred_auth=("password",))
        except asyncssh.PermissionDenied:
            return False
        conn.close()
        await conn.wait_closed()
        return True
    return asyncio.run(attempt())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the actions ----
def test_the_actions_are_registered_and_ignore_the_region():
    from layers.gateway import registry
    specs = {s.name: s for s in registry.all_actions(registry.SERVICES["bhsaas"])}
    assert set(ACTIONS) <= set(specs)
    assert all(specs[a].region == "ignored" for a in ACTIONS)


def test_create_describe_modify_delete(bh):
    d1, d2 = bh.devices("10.0.0.7", "10.0.0.8")
    dep = bh.department("Ops")
    op = task(bh, [d1, d2], ["root", "app"], DepartmentId=dep, Symbol=base64.b64encode(b"#!").decode(),
              CompleteNotify=1, NotifyEmails=["ops@example.com"], FilePassword="zip-secret-1")
    assert op.startswith("cpt-")
    (info,) = tasks(bh)
    assert info["OperationId"] == op and info["TaskName"] == "rotate" and info["Id"] > 0
    assert [d["Id"] for d in info["DeviceSet"]] == [d1, d2] and info["AccountSet"] == ["root", "app"]
    assert (info["ChangeMethod"], info["AuthGenerationStrategy"], info["PasswordLength"]) == (2, 2, 16)
    assert (info["SmallLetter"], info["BigLetter"], info["Digit"], info["Symbol"]) == (1, 1, 1, "IyE=")
    assert (info["CompleteNotify"], info["NotifyEmails"], info["FilePassword"]) == (1, ["ops@example.com"], "")
    assert info["Department"] == {"Id": dep, "Name": "Ops", "Managers": [], "ManagerUsers": []}
    assert (info["Type"], info["Period"], info["FirstTime"], info["NextTime"]) == (4, 0, "", "")
    assert "zip-secret-1" not in json.dumps(bh.call("DescribeChangePwdTask"))

    bh.call("CreateChangePwdTask", TaskName="given", DeviceIdSet=[d1], AccountSet=["root"], ChangeMethod=1,
            RunAccount="root", AuthGenerationStrategy=3, Password="Given-pass-123")
    assert [t["TaskName"] for t in tasks(bh)] == ["rotate", "given"]
    assert [t["TaskName"] for t in tasks(bh, Filters=[{"Name": "TaskName", "Values": ["GIV"]}])] == ["given"]
    assert [t["OperationId"] for t in tasks(bh, Filters=[{"Name": "OperationId", "Values": [op, "x"]}])] == [op]
    assert [t["TaskName"] for t in tasks(bh, DepartmentId=dep)] == ["rotate"]
    assert [t["TaskName"] for t in tasks(bh, DepartmentId="1")] == ["rotate", "given"]     # the root: all
    assert bh.call("DescribeChangePwdTask", Offset=1, Limit=1)["TotalCount"] == 2
    assert [t["TaskName"] for t in tasks(bh, Offset=1, Limit=1)] == ["given"]
    assert "Given-pass-123" not in json.dumps(bh.call("DescribeChangePwdTask"))

    bh.call("ModifyChangePwdTask", OperationId=op, ModifyType=1, TaskName="rotate2", Type=5, Period=7,
            FirstTime="2099-01-01 03:00:00", AuthGenerationStrategy=1, DeviceIdSet=[d1])
    (info,) = tasks(bh, Filters=[{"Name": "OperationId", "Values": [op]}])
    assert (info["TaskName"], info["Type"], info["Period"], info["AuthGenerationStrategy"]) == ("rotate2", 5, 7, 1)
    assert info["FirstTime"] == info["NextTime"] == "2099-01-01T03:00:00+08:00"
    assert [d["Id"] for d in info["DeviceSet"]] == [d1, d2]        # ModifyType 1 leaves the devices
    bh.call("ModifyChangePwdTask", OperationId=op, ModifyType=2, DeviceIdSet=[d2], AccountSet=["app"])
    (info,) = tasks(bh, Filters=[{"Name": "OperationId", "Values": [op]}])
    assert [d["Id"] for d in info["DeviceSet"]] == [d2] and info["AccountSet"] == ["app"]
    assert info["TaskName"] == "rotate2"

    bh.call("DeleteChangePwdTask", IdSet=[info["Id"]])
    assert [t["TaskName"] for t in tasks(bh)] == ["given"]
    assert bh.error("DeleteChangePwdTask", IdSet=[info["Id"]]) == "ResourceNotFound"


def test_details_list_the_device_accounts_and_filter_them(bh):
    d1, d2 = bh.devices("10.0.0.7", "10.0.0.8")
    account(bh, d1, "root")
    account(bh, d1, "app")
    account(bh, d2, "root")
    account(bh, d2, "other")
    op = task(bh, [d1, d2], ["root", "app"])
    got = details(bh, op)
    assert [(d["Device"]["Id"], d["Account"], d["LastChangeStatus"]) for d in got] == [
        (d1, "root", 0), (d1, "app", 0), (d2, "root", 0)]
    assert got[0]["Device"]["PrivateIp"] == "10.0.0.7"
    pick = lambda **f: [(d["Device"]["Id"], d["Account"]) for d in details(bh, op, **f)]  # noqa: E731
    assert pick(Filters=[{"Name": "Ip", "Values": ["10.0.0.8"]}]) == [(d2, "root")]
    assert pick(Filters=[{"Name": "Account", "Values": ["app"]}]) == [(d1, "app")]
    assert pick(Filters=[{"Name": "LastChangeStatus", "Values": ["1", "2"]}]) == []
    assert pick(Filters=[{"Name": "Account", "Values": ["root"]}, {"Name": "Ip", "Values": ["10.0.0.7"]}]) == [
        (d1, "root")]
    assert pick(Offset=2, Limit=5) == [(d2, "root")]
    assert bh.call("DescribeChangePwdTaskDetail", OperationId=op, Limit=1)["TotalCount"] == 3
    assert bh.error("DescribeChangePwdTaskDetail", OperationId=op,
                    Filters=[{"Name": "LastChangeStatus", "Values": ["3"]}]) == "InvalidParameterValue"
    assert bh.error("DescribeChangePwdTaskDetail", OperationId=op,
                    Filters=[{"Name": "Password", "Values": ["x"]}]) == "InvalidParameterValue"
    assert bh.error("DescribeChangePwdTaskDetail", OperationId=op, DepartmentId="9") == "ResourceNotFound"
    assert bh.error("DescribeChangePwdTaskDetail", OperationId="cpt-none") == "ResourceNotFound"


GOOD = {"TaskName": "t", "AccountSet": ["root"], "ChangeMethod": 2, "AuthGenerationStrategy": 2,
        "PasswordLength": 16, "SmallLetter": 1}


@pytest.mark.parametrize("change,code", [
    ({"TaskName": "has blank"}, "InvalidParameterValue"),
    ({"TaskName": ""}, "InvalidParameterValue"),
    ({"AccountSet": []}, "InvalidParameterValue"),
    ({"ChangeMethod": 3}, "InvalidParameterValue"),
    ({"ChangeMethod": 1}, "MissingParameter"),                         # RunAccount
    ({"AuthGenerationStrategy": 0}, "InvalidParameterValue"),
    ({"AuthGenerationStrategy": 3}, "MissingParameter"),               # Password
    ({"AuthGenerationStrategy": 3, "Password": "a\nb"}, "InvalidParameterValue"),
    ({"AuthGenerationStrategy": 3, "Password": "x" * 65}, "InvalidParameterValue"),
    ({"PasswordLength": None}, "MissingParameter"),
    ({"PasswordLength": 11}, "InvalidParameterValue"),
    ({"PasswordLength": 65}, "InvalidParameterValue"),
    ({"SmallLetter": 0}, "InvalidParameterValue"),                     # no character class
    ({"SmallLetter": 2}, "InvalidParameterValue"),
    ({"Symbol": "not base64!"}, "InvalidParameterValue"),
    ({"Symbol": base64.b64encode(b"$").decode()}, "InvalidParameterValue"),
    ({"CompleteNotify": 1}, "MissingParameter"),                       # NotifyEmails
    ({"NotifyEmails": ["not-an-address"]}, "InvalidParameterValue"),
    ({"Type": 3}, "InvalidParameterValue"),
    ({"Type": 5, "FirstTime": "2030-01-01T00:00:00+08:00"}, "MissingParameter"),   # Period
    ({"Type": 5, "Period": 7}, "MissingParameter"),                    # FirstTime
    ({"Type": 5, "Period": 366, "FirstTime": "2030-01-01T00:00:00+08:00"}, "InvalidParameterValue"),
    ({"Type": 5, "Period": 1, "FirstTime": "tomorrow"}, "InvalidParameterValue"),
    ({"DepartmentId": "a.b"}, "InvalidParameterValue"),
    ({"AccountSet": ["a:b"]}, "InvalidParameterValue"),
])
def test_create_refuses_bad_input_and_writes_nothing(bh, change, code):
    device = linux(bh)
    params = {**GOOD, "DeviceIdSet": [device], **change}
    params = {k: v for k, v in params.items() if v is not None}
    assert bh.error("CreateChangePwdTask", **params) == code
    assert bh.call("DescribeChangePwdTask")["TotalCount"] == 0


def test_create_refuses_unknown_and_non_linux_devices_and_duplicate_names(bh):
    device = linux(bh)
    windows = bh.devices("10.0.0.9", os_name="Windows", port=3389)[0]
    assert bh.error("CreateChangePwdTask", **GOOD, DeviceIdSet=[device, 99999]) == "ResourceNotFound"
    assert bh.error("CreateChangePwdTask", **GOOD, DeviceIdSet=[windows]) == "InvalidParameterValue"
    assert bh.error("CreateChangePwdTask", **GOOD, DeviceIdSet=[]) == "InvalidParameterValue"
    assert bh.call("DescribeChangePwdTask")["TotalCount"] == 0
    bh.call("CreateChangePwdTask", **GOOD, DeviceIdSet=[device])
    assert bh.error("CreateChangePwdTask", **GOOD, DeviceIdSet=[device]) == "FailedOperation.DuplicateData"
    assert bh.raw_error("CreateChangePwdTask", **GOOD, DeviceIdSet=[device], DomainId="x") == "UnknownParameter"
    assert bh.raw_error("CreateChangePwdTask", **{**GOOD, "ChangeMethod": "2"}, DeviceIdSet=[device]) == \
        "InvalidParameter"


def test_modify_run_and_filters_refuse_bad_input(bh):
    device = linux(bh)
    op = task(bh, [device])
    before = record(bh, op)
    for params, code in [
        ({"ModifyType": 3}, "InvalidParameterValue"),
        ({"ModifyType": 2}, "MissingParameter"),
        ({"ModifyType": 2, "DeviceIdSet": [99999]}, "ResourceNotFound"),
        ({"ModifyType": 1, "ChangeMethod": 1}, "MissingParameter"),
        ({"ModifyType": 1, "AuthGenerationStrategy": 3}, "MissingParameter"),
        ({"ModifyType": 1, "Type": 5}, "MissingParameter"),
        ({"ModifyType": 1, "PasswordLength": 8}, "InvalidParameterValue"),
    ]:
        assert bh.error("ModifyChangePwdTask", OperationId=op, **params) == code, params
    assert bh.error("ModifyChangePwdTask", OperationId="cpt-none", ModifyType=1, TaskName="x") == "ResourceNotFound"
    other = bh.call("CreateChangePwdTask", **{**GOOD, "TaskName": "second"}, DeviceIdSet=[device])["OperationId"]
    assert bh.error("ModifyChangePwdTask", OperationId=other, ModifyType=1,
                    TaskName="rotate") == "FailedOperation.DuplicateData"
    assert record(bh, op) == before
    assert bh.error("DescribeChangePwdTask", Filters=[{"Name": "Kind", "Values": ["1"]}]) == "InvalidParameterValue"
    assert bh.error("DescribeChangePwdTask", Limit=501) == "InvalidParameterValue"
    assert bh.error("RunChangePwdTask", OperationId="cpt-none") == "ResourceNotFound"
    assert bh.error("RunChangePwdTask", OperationId=op,
                    Details=[{"DeviceId": device, "Account": "nobody"}]) == "InvalidParameterValue"
    assert bh.error("DeleteChangePwdTask", IdSet=[]) == "InvalidParameterValue"
    assert not record(bh, op).get("Run")


def test_accounts_see_only_their_own_tasks(bh, other):
    device = bh.devices("10.0.0.5", "10.0.0.6", "10.0.0.7")[-1]     # Ids count per account: other has no 3
    account(bh, device, "root")
    op = task(bh, [device])
    tid = tasks(bh)[0]["Id"]
    assert other.call("DescribeChangePwdTask")["TotalCount"] == 0
    assert other.call("DescribeChangePwdTask", Filters=[{"Name": "OperationId", "Values": [op]}])["TotalCount"] == 0
    assert other.error("DescribeChangePwdTaskDetail", OperationId=op) == "ResourceNotFound"
    assert other.error("ModifyChangePwdTask", OperationId=op, ModifyType=1, TaskName="mine") == "ResourceNotFound"
    assert other.error("RunChangePwdTask", OperationId=op) == "ResourceNotFound"
    assert other.error("DeleteChangePwdTask", IdSet=[tid]) == "ResourceNotFound"
    # another account's device is not one the caller can name
    assert other.error("CreateChangePwdTask", **GOOD, DeviceIdSet=[device]) == "ResourceNotFound"
    mine = linux(other)
    other_op = task(other, [mine])
    assert other.error("ModifyChangePwdTask", OperationId=other_op, ModifyType=2,
                       DeviceIdSet=[device]) == "ResourceNotFound"
    assert [t["OperationId"] for t in tasks(bh)] == [op] and tasks(bh)[0]["TaskName"] == "rotate"


def test_periodic_tasks_get_their_next_time(bh):
    device = linux(bh)
    future = "2099-05-01T02:00:00+08:00"
    op = task(bh, [device], Type=5, Period=30, FirstTime=future)
    assert (tasks(bh)[0]["FirstTime"], tasks(bh)[0]["NextTime"]) == (future, future)
    first = times.now() - timedelta(days=10, hours=1)
    op2 = task(bh, [device], TaskName="past", Type=5, Period=7, FirstTime=times.iso(first))
    rec = record(bh, op2)
    assert times.parse(rec["NextTime"]) == first.replace(microsecond=0) + timedelta(days=14)
    bh.call("ModifyChangePwdTask", OperationId=op, ModifyType=1, Type=4)
    assert record(bh, op)["NextTime"] == ""


def test_generated_passwords_follow_the_strategy():
    spec = {"PasswordLength": 20, "SmallLetter": 1, "BigLetter": 0, "Digit": 1,
            "Symbol": base64.b64encode(b"#!").decode()}
    seen = set()
    for _ in range(50):
        pw = pwd_rotation.generate(spec)
        assert len(pw) == 20 and set(pw) <= set("abcdefghijklmnopqrstuvwxyz0123456789#!")
        assert any(c.islower() for c in pw) and any(c.isdigit() for c in pw) and set(pw) & set("#!")
        seen.add(pw)
    assert len(seen) == 50


# ---- runs ----
def test_a_failing_device_reports_and_keeps_the_hosted_password(bh):
    """Target down: nothing listens on the device's port."""
    device = linux(bh, "127.0.0.1", closed_port())
    aid = account(bh, device, "root", password=OLD)
    blob = hosted_blob(bh, aid)
    op = task(bh, [device])
    bh.call("RunChangePwdTask", OperationId=op)
    rec = wait_run(bh, op)
    assert [d["LastChangeStatus"] for d in details(bh, op)] == [2]
    assert "cannot reach" in rec["Results"][f"{device}/root"]["Reason"]
    assert hosted_blob(bh, aid) == blob and hosted_password(bh, aid) == OLD
    assert "PendingPassword" not in store.get_many(bh.acct["OwnerUin"], "account", [aid])[aid]


def test_the_schedule_runs_due_tasks_and_queued_runs(stack, bh, monkeypatch):
    monkeypatch.setenv("GZ_BASTION_PWD_RUNNER", "schedule")       # as deployed: no thread
    device = linux(bh, "127.0.0.1", closed_port())
    account(bh, device, "root", password=OLD)
    manual = task(bh, [device])
    bh.call("RunChangePwdTask", OperationId=manual)
    assert record(bh, manual)["Run"]["State"] == "queued"
    assert bh.error("RunChangePwdTask", OperationId=manual) == "FailedOperation.TooFrequent"
    due = task(bh, [device], TaskName="periodic", Type=5, Period=1, FirstTime=times.iso_now())
    later = task(bh, [device], TaskName="later", Type=5, Period=1, FirstTime="2099-01-01T00:00:00+08:00")
    summary = Pump(stack.app).fire("bastion_pwd_rotation")
    assert summary["due"] >= 1 and summary["runs"] >= 2
    for op in (manual, due):
        rec = record(bh, op)
        assert not rec.get("Run") and rec["LastRunAt"]
        assert [d["LastChangeStatus"] for d in details(bh, op)] == [2]
    nxt = times.parse(record(bh, due)["NextTime"])
    assert timedelta(hours=23) < nxt - times.now() <= timedelta(days=1)
    assert [d["LastChangeStatus"] for d in details(bh, later)] == [0] and not record(bh, later).get("Run")
    again = Pump(stack.app).fire("bastion_pwd_rotation")       # nothing is due until NextTime
    assert again["due"] == 0 and record(bh, due)["NextTime"] == times.iso(nxt)


# ---- against a real sshd and a real Linux account ----
@pytest.fixture(scope="module")
def sshd():
    why = unavailable()
    if why:
        pytest.skip(why)
    server = Sshd().start()
    yield server
    server.close()


def test_rotation_changes_the_accounts_own_password(bh, sshd):
    """ChangeMethod 2: the account logs in with its hosted password and runs passwd."""
    user = sshd.add_user(OLD)
    device = linux(bh, "127.0.0.1", sshd.port)
    aid = account(bh, device, user, password=OLD)
    op = task(bh, [device], [user], PasswordLength=20, Symbol=base64.b64encode(b"-_#();%~!+=").decode())
    assert set(bh.call("RunChangePwdTask", OperationId=op)) == {"RequestId"}
    wait_run(bh, op)
    assert [(d["Account"], d["LastChangeStatus"]) for d in details(bh, op)] == [(user, 1)]
    new = hosted_password(bh, aid)
    assert new != OLD and len(new) == 20
    assert not logs_in(sshd.port, user, OLD)
    assert logs_in(sshd.port, user, new)
    listed = json.dumps([bh.call("DescribeChangePwdTask"), bh.call("DescribeChangePwdTaskDetail", OperationId=op),
                         bh.call("DescribeDeviceAccounts", DeviceId=device)])
    assert new not in listed and OLD not in listed
    assert "PendingPassword" not in store.get_many(bh.acct["OwnerUin"], "account", [aid])[aid]

    # the same account again, only this pair (Details), rotates from the password hosted now
    bh.call("RunChangePwdTask", OperationId=op, Details=[{"DeviceId": device, "Account": user}])
    wait_run(bh, op)
    newer = hosted_password(bh, aid)
    assert newer != new and logs_in(sshd.port, user, newer) and not logs_in(sshd.port, user, new)


def test_rotation_by_the_run_account_with_chpasswd(bh, sshd):
    """ChangeMethod 1: root (hosted private key) runs chpasswd; strategy 3 sets the given password."""
    users = [sshd.add_user(OLD), sshd.add_user(OLD)]
    device = linux(bh, "127.0.0.1", sshd.port)
    account(bh, device, "root", private_key=sshd.root_key)
    aids = [account(bh, device, u, password=OLD) for u in users]
    op = task(bh, [device], users, ChangeMethod=1, RunAccount="root", AuthGenerationStrategy=3,
              Password="Given-pass-2024!")
    bh.call("RunChangePwdTask", OperationId=op)
    wait_run(bh, op)
    assert [d["LastChangeStatus"] for d in details(bh, op)] == [1, 1]
    for user, aid in zip(users, aids):
        assert hosted_password(bh, aid) == "Given-pass-2024!"
        assert logs_in(sshd.port, user, "Given-pass-2024!") and not logs_in(sshd.port, user, OLD)

    # strategy 1: one generated password for every account of the run
    bh.call("ModifyChangePwdTask", OperationId=op, ModifyType=1, AuthGenerationStrategy=1, PasswordLength=14,
            BigLetter=1, Digit=1)
    assert "Password" not in record(bh, op)
    bh.call("RunChangePwdTask", OperationId=op)
    wait_run(bh, op)
    first, second = (hosted_password(bh, aid) for aid in aids)
    assert first == second and len(first) == 14 and first != "Given-pass-2024!"
    assert all(logs_in(sshd.port, u, first) for u in users)


def test_a_wrong_hosted_password_fails_and_changes_nothing(bh, sshd):
    user = sshd.add_user(OLD)
    device = linux(bh, "127.0.0.1", sshd.port)
    aid = account(bh, device, user, password="Not-the-password-1")
    blob = hosted_blob(bh, aid)
    op = task(bh, [device], [user])
    bh.call("RunChangePwdTask", OperationId=op)
    rec = wait_run(bh, op)
    assert [d["LastChangeStatus"] for d in details(bh, op)] == [2]
    assert "refused" in rec["Results"][f"{device}/{user}"]["Reason"]
    assert hosted_blob(bh, aid) == blob
    assert logs_in(sshd.port, user, OLD)


def test_a_refused_new_password_is_reported_and_the_old_one_stays(bh, sshd):
    """passwd refuses a given password too like the old one (pam_unix obscure): nothing changes."""
    user = sshd.add_user(OLD)
    device = linux(bh, "127.0.0.1", sshd.port)
    aid = account(bh, device, user, password=OLD)
    blob = hosted_blob(bh, aid)
    op = task(bh, [device], [user], AuthGenerationStrategy=3, Password=OLD)
    bh.call("RunChangePwdTask", OperationId=op)
    rec = wait_run(bh, op)
    assert [d["LastChangeStatus"] for d in details(bh, op)] == [2]
    reason = rec["Results"][f"{device}/{user}"]["Reason"]
    assert OLD not in reason
    assert hosted_blob(bh, aid) == blob and logs_in(sshd.port, user, OLD)
    assert "PendingPassword" not in store.get_many(bh.acct["OwnerUin"], "account", [aid])[aid]


def test_a_new_password_that_does_not_log_in_is_changed_back(bh, sshd):
    """chpasswd succeeds but sshd lets the account in by no password (not in AllowUsers): the
    check fails, the old password is set again, and the old one stays hosted."""
    user = sshd.add_user(OLD, ssh=False)
    before = sshd.shadow_hash(user)
    device = linux(bh, "127.0.0.1", sshd.port)
    account(bh, device, "root", private_key=sshd.root_key)
    aid = account(bh, device, user, password=OLD)
    blob = hosted_blob(bh, aid)
    op = task(bh, [device], [user], ChangeMethod=1, RunAccount="root")
    bh.call("RunChangePwdTask", OperationId=op)
    rec = wait_run(bh, op)
    assert [d["LastChangeStatus"] for d in details(bh, op)] == [2]
    assert "the old one was set again" in rec["Results"][f"{device}/{user}"]["Reason"]
    assert hosted_blob(bh, aid) == blob
    after = sshd.shadow_hash(user)
    assert after != before                    # changed, then changed back (a fresh salt) ...
    assert _matches(OLD, after)                # ... to the old password
    assert "PendingPassword" not in store.get_many(bh.acct["OwnerUin"], "account", [aid])[aid]


def _matches(password: str, hashed: str) -> bool:
    import ctypes
    import ctypes.util
    libcrypt = ctypes.CDLL(ctypes.util.find_library("crypt"))
    libcrypt.crypt.restype = ctypes.c_char_p
    libcrypt.crypt.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
    return libcrypt.crypt(password.encode(), hashed.encode()) == hashed.encode()
