"""DeleteCmdTemplates: remove high-risk command templates; ACLs stop naming them."""
from layers.bastion import cascade, checks, fields, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    IdSet: fields.RequiredIdSet


@action("DeleteCmdTemplates", Input, region=REGION_IGNORED, resource_type="cmdtemplate")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> list:
        found = checks.require_all(tx.get_many("cmdtemplate", p.IdSet), p.IdSet, checks.CMD_TEMPLATE)
        cascade.remove_cmd_templates(tx, p.IdSet)
        return [t["Name"] for t in found]

    ctx.touched(*store.transaction(ctx.account, write))
    return {}
