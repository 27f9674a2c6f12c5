"""RunChangePwdTask: run a password-rotation task now — every device account it covers, or the
(DeviceId, Account) pairs of Details, each of which it must cover. It answers at once; the run
goes on in the background (layers/bastion/pwd_rotation.py) and DescribeChangePwdTaskDetail shows
each account's LastChangeStatus as it finishes. A second run while one is asked for or under way
is FailedOperation.TooFrequent."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import fields, pwd_rotation
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String, Uint64


class Detail(Params):
    DeviceId: Uint64
    Account: fields.AccountName


class Input(Params):
    OperationId: String
    DepartmentId: Optional[String] = None
    Details: Optional[Annotated[List[Detail], Field(max_length=1000)]] = None


@action("RunChangePwdTask", Input, region=REGION_IGNORED, resource_type="changepwdtask")
def handle(p: Input, ctx: RequestContext) -> dict:
    pairs = list(dict.fromkeys((d.DeviceId, d.Account) for d in p.Details)) if p.Details else None
    task = pwd_rotation.request(ctx.account, p.OperationId, p.DepartmentId, pairs)
    ctx.touched(task["OperationId"])
    return {}
