"""ModifyCmdTemplate: rename a high-risk command template or change its commands."""
from typing import Optional

from layers.bastion import checks, fields, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    Name: fields.Name32
    CmdList: String
    Id: Uint64
    Encoding: fields.choice(0, 1) = 0
    Type: Optional[fields.choice(1, 2)] = None


@action("ModifyCmdTemplate", Input, region=REGION_IGNORED, resource_type="cmdtemplate")
def handle(p: Input, ctx: RequestContext) -> dict:
    commands = fields.cmd_list(p.CmdList, p.Encoding)

    def write(tx: store.Tx) -> None:
        templates = tx.all("cmdtemplate")
        rec = checks.require(templates.get(p.Id), p.Id, checks.CMD_TEMPLATE)
        if p.Type is not None and p.Type != rec.get("Type", 2):
            raise ApiError("InvalidParameterValue", f"The value of parameter `Type` is invalid: template {p.Id} "
                           f"is of type {rec.get('Type', 2)}.")
        if checks.name_taken(templates, "Name", p.Name, except_id=p.Id):
            raise ApiError("FailedOperation.DuplicateData", f"Command template name `{p.Name}` already exists.")
        rec.update({"Name": p.Name, "CmdList": commands})
        tx.put("cmdtemplate", rec)

    store.transaction(ctx.account, write)
    ctx.touched(p.Name)
    return {}
