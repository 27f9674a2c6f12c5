"""CreateAcl: an access permission granting users and user groups access to devices and device
groups with the given accounts, switches and command templates; names are unique."""
from layers.bastion import acls, store, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action


class Input(acls.AclFields):
    pass


@action("CreateAcl", Input, region=REGION_IGNORED, resource_type="acl")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> int:
        (aid,) = tx.new_ids("acl")
        rec = acls.apply(tx, {"Id": aid, "CreateTime": times.iso_now()}, p, creating=True)
        tx.put("acl", rec)
        return aid

    aid = store.transaction(ctx.account, write)
    ctx.touched(p.Name)
    return {"Id": aid}
