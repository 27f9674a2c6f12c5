"""DescribeChangePwdTaskDetail: each device account a password-rotation task covers (an account
named in its AccountSet on one of its devices) with LastChangeStatus: 0 never changed, 1 changed,
2 failed (the last run's result for it). Filters: InstanceId and Ip (the private or public IP)
exact, DeviceName a case-insensitive substring, Account exact, LastChangeStatus 0/1/2."""
from typing import Annotated, Optional

from pydantic import Field

from layers.bastion import filters, pwd_tasks
from layers.bastion.snapshot import Snapshot
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Params, String, Uint64

from functions.bhsaas.describe_change_pwd_task import FilterList, matcher


class Input(Params):
    OperationId: String
    DepartmentId: Optional[String] = None
    Filters: Optional[FilterList] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20


def _status(values) -> set:
    if not set(values) <= {"0", "1", "2"}:
        raise invalid_value("Filters.Values", "LastChangeStatus is 0, 1 or 2")
    return {int(v) for v in values}


MATCH = {
    "InstanceId": lambda d, values: d["Device"]["InstanceId"] in values,
    "DeviceName": lambda d, values: any(filters.fuzzy(v, d["Device"]["Name"]) for v in values),
    "Ip": lambda d, values: bool({d["Device"]["PrivateIp"], d["Device"]["PublicIp"]} & set(values) - {""}),
    "Account": lambda d, values: d["Account"] in values,
    "LastChangeStatus": lambda d, values: d["LastChangeStatus"] in _status(values),
}


@action("DescribeChangePwdTaskDetail", Input, region=REGION_IGNORED, resource_type="changepwdtask")
def handle(p: Input, ctx: RequestContext) -> dict:
    for f in p.Filters or ():
        if f.Name == "LastChangeStatus":
            _status(f.Values)
    keep = matcher(p.Filters, MATCH)
    task = pwd_tasks.find(ctx.account, p.OperationId, p.DepartmentId)
    found = [d for d in pwd_tasks.details(task, Snapshot(ctx.account)) if keep(d)]
    return {"TotalCount": len(found), "Details": filters.page(found, p.Offset, p.Limit)}
