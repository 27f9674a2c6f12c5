"""CreateCmdTemplate: a high-risk command template (commands separated by "\\n"); names are unique."""
from layers.bastion import checks, fields, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String


class Input(Params):
    Name: fields.Name32
    CmdList: String
    Encoding: fields.choice(0, 1) = 0


@action("CreateCmdTemplate", Input, region=REGION_IGNORED, resource_type="cmdtemplate")
def handle(p: Input, ctx: RequestContext) -> dict:
    commands = fields.cmd_list(p.CmdList, p.Encoding)

    def write(tx: store.Tx) -> int:
        if checks.name_taken(tx.all("cmdtemplate"), "Name", p.Name):
            raise ApiError("FailedOperation.DuplicateData", f"Command template name `{p.Name}` already exists.")
        (tid,) = tx.new_ids("cmdtemplate")
        tx.put("cmdtemplate", {"Id": tid, "Name": p.Name, "CmdList": commands, "Type": 2})
        return tid

    tid = store.transaction(ctx.account, write)
    ctx.touched(p.Name)
    return {"Id": tid}
