"""DeleteUsers: users go, and with them their group memberships and their places in ACLs."""
from layers.bastion import cascade, checks, fields, store
from layers.bastion.ssh import directory
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    IdSet: fields.RequiredIdSet


@action("DeleteUsers", Input, region=REGION_IGNORED, resource_type="user")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> list:
        users = checks.require_all(tx.get_many("user", p.IdSet), p.IdSet, checks.USER)
        cascade.remove_users(tx, p.IdSet)
        return [u["UserName"] for u in users]

    names = store.transaction(ctx.account, write)
    directory.unregister(ctx.account, names)
    ctx.touched(*names, resource_type="user")
    return {}
