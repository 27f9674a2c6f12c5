"""CreateUser: a bastion user; the UserName is unique in the account."""
from typing import Optional

from layers.bastion import checks, departments, fields, groups, store, times
from layers.bastion.ssh import directory
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params

ALL_HOURS = "1" * 168


class Input(Params):
    UserName: fields.UserName
    RealName: fields.RealName
    Phone: fields.Phone
    Email: Optional[fields.Email] = None
    ValidateFrom: Optional[fields.Bound] = None
    ValidateTo: Optional[fields.Bound] = None
    GroupIdSet: Optional[fields.IdSet] = None
    AuthType: fields.AuthType = 0
    ValidateTime: Optional[fields.WeekMask] = None
    DepartmentId: Optional[fields.DepartmentId] = None


@action("CreateUser", Input, region=REGION_IGNORED, resource_type="user")
def handle(p: Input, ctx: RequestContext) -> dict:
    fields.check_window(p.ValidateFrom, p.ValidateTo)

    def write(tx: store.Tx) -> int:
        if checks.name_taken(tx.all("user"), "UserName", p.UserName):
            raise ApiError("FailedOperation.DuplicateData", f"User name `{p.UserName}` already exists.")
        departments.check(tx, p.DepartmentId)
        (uid,) = tx.new_ids("user")
        rec = {"Id": uid, "UserName": p.UserName, "RealName": p.RealName, "Phone": p.Phone,
               "Email": p.Email or "", "ValidateFrom": p.ValidateFrom or "", "ValidateTo": p.ValidateTo or "",
               "GroupIds": [], "AuthType": p.AuthType, "ValidateTime": p.ValidateTime or ALL_HOURS,
               "DepartmentId": p.DepartmentId or "", "ActiveStatus": 0, "LockStatus": 0,
               "CreateTime": times.iso_now()}
        groups.set_membership(tx, groups.USER_GROUPS, rec, p.GroupIdSet or [])
        tx.put("user", rec)
        return uid

    uid = store.transaction(ctx.account, write)
    directory.register(ctx.account, p.UserName)     # so the SSH gateway finds the user's account
    ctx.touched(p.UserName, resource_type="user")
    return {"Id": uid}
