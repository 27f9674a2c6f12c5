"""ModifyChangePwdTask: ModifyType 1 changes the task's information (name, department, method,
run account, password strategy, notification, Type/Period/FirstTime); ModifyType 2 changes which
devices and account names it covers (DeviceIdSet, AccountSet). Parameters of the other type are
ignored; a parameter left out keeps its value. A new Password or FilePassword is sealed; a
strategy other than 3 drops the stored Password. Changing Type, Period or FirstTime sets NextTime
again."""
from typing import Optional

from layers.bastion import departments, fields, pwd_tasks, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import missing
from layers.gateway.schema import String

from functions.bhsaas.create_change_pwd_task import AccountNames, TaskOptions, record


class Input(TaskOptions):
    OperationId: String
    ModifyType: fields.choice(1, 2)
    DeviceIdSet: Optional[fields.RequiredIdSet] = None
    AccountSet: Optional[AccountNames] = None
    ChangeMethod: Optional[fields.choice(1, 2)] = None
    AuthGenerationStrategy: Optional[fields.choice(1, 2, 3)] = None
    TaskName: Optional[fields.Name32] = None


SCHEDULE_FIELDS = ("Type", "Period", "FirstTime")


@action("ModifyChangePwdTask", Input, region=REGION_IGNORED, resource_type="changepwdtask",
        secret_params=("Password", "FilePassword"))
def handle(p: Input, ctx: RequestContext) -> dict:
    info = p.ModifyType == 1
    if not info and p.DeviceIdSet is None and p.AccountSet is None:
        raise missing("DeviceIdSet")
    current = pwd_tasks.find(ctx.account, p.OperationId)
    tid = current["Id"]
    sealed = {}
    if info:
        probe = record(p, dict(current), pwd_tasks.INFO_FIELDS)
        pwd_tasks.check(probe, has_password=p.Password is not None or bool(current.get("Password")))
        if p.Password is not None:
            sealed["Password"] = pwd_tasks.seal(ctx.account, tid, "Password", p.Password)
        if p.FilePassword:
            sealed["FilePassword"] = pwd_tasks.seal(ctx.account, tid, "FilePassword", p.FilePassword)
    elif p.DeviceIdSet is not None:
        pwd_tasks.check_devices(store.Tx(ctx.account), p.DeviceIdSet)

    def write(tx: store.Tx) -> dict:
        rec = pwd_tasks.find(tx, p.OperationId)
        if info:
            if p.TaskName is not None:
                pwd_tasks.unique_name(tx, p.TaskName, except_id=tid)
            departments.check(tx, p.DepartmentId)
            record(p, rec, pwd_tasks.INFO_FIELDS)
            rec.update(sealed)
            if p.FilePassword == "":
                rec.pop("FilePassword", None)
            if rec["AuthGenerationStrategy"] != pwd_tasks.GIVEN:
                rec.pop("Password", None)
            pwd_tasks.check(rec, has_password=bool(rec.get("Password")))
            if any(getattr(p, f) is not None for f in SCHEDULE_FIELDS):
                pwd_tasks.schedule(rec)
        else:
            if p.DeviceIdSet is not None:
                pwd_tasks.check_devices(tx, p.DeviceIdSet)
                rec["DeviceIds"] = p.DeviceIdSet
            if p.AccountSet is not None:
                rec["AccountSet"] = p.AccountSet
            pwd_tasks.check(rec, has_password=bool(rec.get("Password")))
        tx.put(pwd_tasks.KIND, rec)
        return rec

    ctx.touched(store.transaction(ctx.account, write)["OperationId"])
    return {}
