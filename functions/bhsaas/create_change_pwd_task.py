"""CreateChangePwdTask: a password-rotation task (改密任务) over device accounts — the accounts
named in AccountSet on the Linux devices of DeviceIdSet. ChangeMethod 1 changes them as RunAccount
(chpasswd), 2 as each account itself (passwd). AuthGenerationStrategy 1 generates one password
for all, 2 one per account (PasswordLength and the character classes), 3 sets the given Password.
Type 4 runs on RunChangePwdTask only; 5 also every Period days from FirstTime. The manual Password
and FilePassword are sealed in the key store and never returned."""
from typing import Annotated, List, Optional

from pydantic import AfterValidator, Field

from layers.bastion import departments, fields, pwd_tasks, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String

AccountNames = Annotated[List[fields.AccountName], Field(min_length=1), AfterValidator(pwd_tasks.strings)]
PasswordText = Annotated[String, Field(min_length=1, max_length=pwd_tasks.MAX_LENGTH),
                     AfterValidator(pwd_tasks.check_password)]
LengthType = Annotated[int, Field(ge=pwd_tasks.MIN_LENGTH, le=pwd_tasks.MAX_LENGTH)]
PeriodDays = Annotated[int, Field(ge=1, le=365)]
FilePasswordText = Annotated[String, Field(max_length=64)]


class TaskOptions(Params):
    """The optional task information CreateChangePwdTask and ModifyChangePwdTask share."""
    RunAccount: Optional[fields.AccountName] = None
    Password: Optional[PasswordText] = None
    PasswordLength: Optional[LengthType] = None
    SmallLetter: Optional[fields.choice(0, 1)] = None
    BigLetter: Optional[fields.choice(0, 1)] = None
    Digit: Optional[fields.choice(0, 1)] = None
    Symbol: Optional[String] = None
    CompleteNotify: Optional[fields.choice(0, 1)] = None
    NotifyEmails: Optional[List[fields.Email]] = None
    FilePassword: Optional[FilePasswordText] = None
    DepartmentId: Optional[fields.DepartmentId] = None
    Type: Optional[fields.choice(4, 5)] = None
    Period: Optional[PeriodDays] = None
    FirstTime: Optional[String] = None


class Input(TaskOptions):
    TaskName: fields.Name32
    DeviceIdSet: fields.RequiredIdSet
    AccountSet: AccountNames
    ChangeMethod: fields.choice(1, 2)
    AuthGenerationStrategy: fields.choice(1, 2, 3)


def record(p: Params, rec: dict, names) -> dict:
    """Copy the task-information fields given in p onto rec (the sealed ones apart)."""
    for name in names:
        value = getattr(p, name, None)
        if value is None:
            continue
        if name == "FirstTime":
            value = pwd_tasks.first_time(value) if value.strip() else ""
        elif name == "NotifyEmails":
            value = pwd_tasks.strings(v for v in value if v)
        rec[name] = value
    return rec


@action("CreateChangePwdTask", Input, region=REGION_IGNORED, resource_type="changepwdtask",
        secret_params=("Password", "FilePassword"))
def handle(p: Input, ctx: RequestContext) -> dict:
    rec = record(p, {"DeviceIds": p.DeviceIdSet, "AccountSet": p.AccountSet, "Type": pwd_tasks.MANUAL},
                 pwd_tasks.INFO_FIELDS)
    pwd_tasks.check(rec, has_password=p.Password is not None)
    pwd_tasks.schedule(rec)
    # Checked before anything is sealed, so a refused request creates no key domain; the
    # transaction checks again.
    probe = store.Tx(ctx.account)
    pwd_tasks.check_devices(probe, p.DeviceIdSet)
    departments.check(probe, p.DepartmentId)
    (tid,) = store.new_ids(ctx.account, pwd_tasks.KIND)
    if p.Password is not None:
        rec["Password"] = pwd_tasks.seal(ctx.account, tid, "Password", p.Password)
    if p.FilePassword:
        rec["FilePassword"] = pwd_tasks.seal(ctx.account, tid, "FilePassword", p.FilePassword)

    def write(tx: store.Tx) -> dict:
        pwd_tasks.check_devices(tx, p.DeviceIdSet)
        departments.check(tx, p.DepartmentId)
        pwd_tasks.unique_name(tx, p.TaskName)
        out = {**rec, "Id": tid, "OperationId": pwd_tasks.new_operation_id(tx), "Results": {}}
        tx.put(pwd_tasks.KIND, out)
        return out

    pwd_tasks.register(ctx.account)
    created = store.transaction(ctx.account, write)
    ctx.touched(created["OperationId"])
    return {"OperationId": created["OperationId"]}
