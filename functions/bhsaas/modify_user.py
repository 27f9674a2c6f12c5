"""ModifyUser: a user's name, contact, validity, groups and access hours.

ValidateFrom/ValidateTo left out mean "no limit" and AuthType left out means 0, as the
documentation says; GroupIdSet, ValidateTime and DepartmentId left out stay as they are."""
from typing import Optional

from layers.bastion import checks, departments, fields, groups, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, Uint64


class Input(Params):
    Id: Uint64
    RealName: fields.RealName
    Phone: fields.Phone
    Email: fields.Email
    ValidateFrom: Optional[fields.Bound] = None
    ValidateTo: Optional[fields.Bound] = None
    GroupIdSet: Optional[fields.IdSet] = None
    AuthType: fields.AuthType = 0
    ValidateTime: Optional[fields.WeekMask] = None
    DepartmentId: Optional[fields.DepartmentId] = None


@action("ModifyUser", Input, region=REGION_IGNORED, resource_type="user")
def handle(p: Input, ctx: RequestContext) -> dict:
    fields.check_window(p.ValidateFrom, p.ValidateTo)

    def write(tx: store.Tx) -> str:
        rec = checks.require(tx.get("user", p.Id), p.Id, checks.USER)
        rec.update({"RealName": p.RealName, "Phone": p.Phone, "Email": p.Email,
                    "ValidateFrom": p.ValidateFrom or "", "ValidateTo": p.ValidateTo or "", "AuthType": p.AuthType})
        if p.GroupIdSet is not None:
            groups.set_membership(tx, groups.USER_GROUPS, rec, p.GroupIdSet)
        if p.ValidateTime is not None:
            rec["ValidateTime"] = p.ValidateTime
        if p.DepartmentId is not None:
            rec["DepartmentId"] = departments.check(tx, p.DepartmentId)
        tx.put("user", rec)
        return rec["UserName"]

    ctx.touched(store.transaction(ctx.account, write), resource_type="user")
    return {}
