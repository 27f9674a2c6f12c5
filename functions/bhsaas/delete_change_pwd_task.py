"""DeleteChangePwdTask: delete password-rotation tasks by Id (every Id must exist in the account).
A run under way finishes the device account it is changing and stops."""
from layers.bastion import checks, fields, pwd_tasks, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    IdSet: fields.RequiredIdSet


@action("DeleteChangePwdTask", Input, region=REGION_IGNORED, resource_type="changepwdtask")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> list:
        found = checks.require_all(tx.get_many(pwd_tasks.KIND, p.IdSet), p.IdSet, pwd_tasks.TASK)
        for rec in found:
            tx.delete(pwd_tasks.KIND, rec["Id"])
        return [rec["OperationId"] for rec in found]

    ctx.touched(*store.transaction(ctx.account, write))
    return {}
