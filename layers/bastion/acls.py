"""Access permissions (ACLs): the parameters CreateAcl and ModifyAcl share, and how they
become a record. An ACL names users, user groups, devices, device groups, asset accounts and
high-risk command templates; everything it names must exist in the account."""
from typing import List, Optional

from layers.bastion import checks, departments, fields
from layers.bastion.store import Tx
from layers.gateway.errors import ApiError
from layers.gateway.schema import Bool, Params, String, Uint64

# Switches that may be left out: a new ACL takes the default, a modified one keeps its value.
OPTIONAL_SWITCHES = {
    "AllowClipFileUp": False, "AllowClipFileDown": False, "AllowClipTextUp": False, "AllowClipTextDown": False,
    "AllowFileUp": False, "AllowFileDown": False, "AllowDiskFileUp": False, "AllowDiskFileDown": False,
    "AllowShellFileUp": False, "AllowShellFileDown": False, "AllowFileDel": False,
    "AllowAccessCredential": True, "AllowKeyboardLogger": False,
}
# parameter -> (record field, record kind, what it is)
REFERENCES = {
    "UserIdSet": ("UserIds", "user", checks.USER),
    "UserGroupIdSet": ("UserGroupIds", "usergroup", checks.USER_GROUP),
    "DeviceIdSet": ("DeviceIds", "device", checks.DEVICE),
    "DeviceGroupIdSet": ("DeviceGroupIds", "devicegroup", checks.DEVICE_GROUP),
    "CmdTemplateIdSet": ("CmdTemplateIds", "cmdtemplate", checks.CMD_TEMPLATE),
}


class AclFields(Params):
    Name: fields.Name32
    AllowDiskRedirect: Bool
    AllowAnyAccount: Bool
    AllowClipFileUp: Optional[Bool] = None
    AllowClipFileDown: Optional[Bool] = None
    AllowClipTextUp: Optional[Bool] = None
    AllowClipTextDown: Optional[Bool] = None
    AllowFileUp: Optional[Bool] = None
    MaxFileUpSize: Optional[Uint64] = None
    AllowFileDown: Optional[Bool] = None
    MaxFileDownSize: Optional[Uint64] = None
    UserIdSet: Optional[fields.IdSet] = None
    UserGroupIdSet: Optional[fields.IdSet] = None
    DeviceIdSet: Optional[fields.IdSet] = None
    DeviceGroupIdSet: Optional[fields.IdSet] = None
    AccountSet: Optional[List[fields.AccountName]] = None
    CmdTemplateIdSet: Optional[fields.IdSet] = None
    AllowDiskFileUp: Optional[Bool] = None
    AllowDiskFileDown: Optional[Bool] = None
    AllowShellFileUp: Optional[Bool] = None
    AllowShellFileDown: Optional[Bool] = None
    AllowFileDel: Optional[Bool] = None
    ValidateFrom: Optional[fields.Bound] = None
    ValidateTo: Optional[fields.Bound] = None
    DepartmentId: Optional[fields.DepartmentId] = None
    AllowAccessCredential: Optional[Bool] = None
    AllowKeyboardLogger: Optional[Bool] = None
    ACTemplateIdSet: Optional[List[String]] = None


def apply(tx: Tx, rec: dict, p: AclFields, *, creating: bool) -> dict:
    """Write the parameters into the record: validity bounds left out mean "always valid";
    other optional parameters left out keep their value (or take the default on create)."""
    fields.check_window(p.ValidateFrom, p.ValidateTo)
    if checks.name_taken(tx.all("acl"), "Name", p.Name, except_id=rec["Id"]):
        raise ApiError("FailedOperation.DuplicateData", f"Access permission name `{p.Name}` already exists.")
    rec.update({"Name": p.Name, "AllowDiskRedirect": p.AllowDiskRedirect, "AllowAnyAccount": p.AllowAnyAccount,
                "ValidateFrom": p.ValidateFrom or "", "ValidateTo": p.ValidateTo or ""})
    for switch, default in OPTIONAL_SWITCHES.items():
        value = getattr(p, switch)
        if value is not None or creating:
            rec[switch] = default if value is None else value
    for name in ("MaxFileUpSize", "MaxFileDownSize"):
        value = getattr(p, name)
        if value is not None or creating:
            rec[name] = value or 0
    for param, (field, kind, what) in REFERENCES.items():
        ids = getattr(p, param)
        if ids is not None:
            checks.require_all(tx.get_many(kind, ids), ids, what)
            rec[field] = list(ids)
        elif creating:
            rec[field] = []
    if p.ACTemplateIdSet is not None:
        # Database access templates are not provided here: none exists, so any id is unknown.
        unknown = next((t for t in p.ACTemplateIdSet if t), None) if p.ACTemplateIdSet else None
        if unknown is not None or any(not t for t in p.ACTemplateIdSet):
            raise ApiError("ResourceNotFound", f"Access template `{unknown or ''}` does not exist.")
        rec["ACTemplateIds"] = []
    elif creating:
        rec["ACTemplateIds"] = []
    if p.AccountSet is not None or creating:
        rec["AccountSet"] = list(dict.fromkeys(p.AccountSet or []))
    if p.DepartmentId is not None or creating:
        rec["DepartmentId"] = departments.check(tx, p.DepartmentId) or ""
    return rec
