"""ModifyAcl: change an access permission. ValidateFrom/ValidateTo left out mean "always valid";
other optional parameters left out keep their current value."""
from layers.bastion import acls, checks, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Uint64


class Input(acls.AclFields):
    Id: Uint64


@action("ModifyAcl", Input, region=REGION_IGNORED, resource_type="acl")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> None:
        rec = checks.require(tx.all("acl").get(p.Id), p.Id, checks.ACL)
        tx.put("acl", acls.apply(tx, rec, p, creating=False))

    store.transaction(ctx.account, write)
    ctx.touched(p.Name)
    return {}
