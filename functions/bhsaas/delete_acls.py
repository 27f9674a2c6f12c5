"""DeleteAcls: remove access permissions."""
from layers.bastion import checks, fields, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    IdSet: fields.RequiredIdSet


@action("DeleteAcls", Input, region=REGION_IGNORED, resource_type="acl")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> list:
        found = checks.require_all(tx.get_many("acl", p.IdSet), p.IdSet, checks.ACL)
        for rec in found:
            tx.delete("acl", rec["Id"])
        return [rec["Name"] for rec in found]

    ctx.touched(*store.transaction(ctx.account, write))
    return {}
