"""ResetUser: the users' passwords are reset; each must activate the account again, and a
locked account is unlocked. Every secret they logged in with (password, TOTP secret, access
strings, a pending activation code) is forgotten."""
from layers.bastion import checks, credentials, fields, store, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params


class Input(Params):
    IdSet: fields.RequiredIdSet


@action("ResetUser", Input, region=REGION_IGNORED, resource_type="user")
def handle(p: Input, ctx: RequestContext) -> dict:
    def write(tx: store.Tx) -> list:
        users = checks.require_all(tx.get_many("user", p.IdSet), p.IdSet, checks.USER)
        stamp = times.iso_now()
        for u in users:
            u.update({"ActiveStatus": 0, "LockStatus": 0, "PasswordResetTime": stamp})
            u.pop("LockedUntil", None)
            tx.put("user", u)
        credentials.clear_secrets(tx, p.IdSet)
        return [u["UserName"] for u in users]

    ctx.touched(*store.transaction(ctx.account, write), resource_type="user")
    return {}
