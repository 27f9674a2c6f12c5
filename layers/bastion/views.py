"""Records -> the API's data structures (User, Group, Device, Resource, Acl, CmdTemplate, ...).

Field names and types follow the seed's data structures; where the seed is silent they follow
tencentcloud-sdk-python's dasb v20191018 models. Secrets never appear here: a device account
shows only whether a password or private key is hosted."""
from typing import Optional

from layers.bastion import billing, departments, times
from layers.bastion.snapshot import Snapshot


def department(rec: dict, snap: Snapshot) -> dict:
    """The record's department as the full Department structure (the root "1" when it has none)."""
    return snap.departments.view(departments.of(rec))


def group(rec: dict, snap: Snapshot, count: Optional[int] = None) -> dict:
    out = {"Id": rec["Id"], "Name": rec["Name"], "Department": department(rec, snap)}
    if count is not None:
        out["Count"] = count
    return out


def user(rec: dict, snap: Snapshot) -> dict:
    groups = [snap.user_groups[g] for g in rec.get("GroupIds", ()) if g in snap.user_groups]
    return {
        "Id": rec["Id"], "UserName": rec["UserName"], "RealName": rec["RealName"], "Phone": rec["Phone"],
        "Email": rec.get("Email", ""), "ValidateFrom": rec.get("ValidateFrom", ""),
        "ValidateTo": rec.get("ValidateTo", ""), "GroupSet": [group(g, snap, len(snap.members(snap.users, [g["Id"]]))) for g in groups],
        "AuthType": rec.get("AuthType", 0), "ValidateTime": rec["ValidateTime"],
        "Department": department(rec, snap), "DepartmentId": departments.of(rec),
        "ActiveStatus": rec.get("ActiveStatus", 0), "LockStatus": rec.get("LockStatus", 0),
        "UKeyStatus": 0, "Status": user_status(rec), "AclVersion": rec.get("AclVersion", 0),
    }


def user_status(rec: dict) -> str:
    """The user's state as the Filters of DescribeUsers name it: "locked", "inactive" or "active"."""
    if rec.get("LockStatus", 0):
        return "locked"
    return "active" if rec.get("ActiveStatus", 0) else "inactive"


def resource(rec: dict) -> dict:
    return {
        "ResourceId": rec["ResourceId"], "ApCode": rec["ApCode"], "SvArgs": billing.spec_args(rec),
        "VpcId": rec.get("VpcId", ""), "Nodes": billing.nodes(rec), "RenewFlag": rec.get("RenewFlag", 0),
        "ExpireTime": rec["ExpireTime"], "Status": billing.status(rec), "ResourceName": billing.RESOURCE_NAME,
        "Pid": billing.PRICING_MODEL[rec["ResourceEdition"]], "CreateTime": rec["CreateTime"],
        "ProductCode": billing.PRODUCT_CODE, "SubProductCode": billing.SUB_PRODUCT_CODE,
        "Zone": rec["Zone"], "Expired": billing.expired(rec), "Deployed": bool(rec.get("VpcId")),
        "VpcName": rec.get("VpcName", ""), "VpcCidrBlock": rec.get("VpcCidrBlock", ""),
        "SubnetId": rec.get("SubnetId", ""), "SubnetName": rec.get("SubnetName", ""),
        "CidrBlock": rec.get("CidrBlock", ""), "PublicIpSet": [], "PrivateIpSet": [],
        "ModuleSet": ["DB"] if rec["ResourceEdition"] == "pro" else [],
        "UsedNodes": rec.get("UsedNodes", 0), "ExtendPoints": billing.NODES_PER_PACK * rec.get("NodeExp", 0),
        "PackageBandwidth": rec.get("MbpExp", 0), "PackageNode": rec.get("NodeExp", 0),
        "Trial": rec.get("Trial", 0),
        "LogDelivery": str(rec["LogDelivery"]) if "LogDelivery" in rec else "",   # ModifyResource
        # Fields of editions and options not provided here (no load balancer, CDC, log delivery
        # arguments, intranet access or user-added network domains), in their "none" values.
        "LogDeliveryArgs": "", "ClbSet": [], "DomainCount": 0, "UsedDomainCount": 0,
        "CdcClusterId": "", "DeployModel": 0, "IntranetAccess": 0, "IntranetPrivateIpSet": [],
        "IntranetVpcId": "", "IntranetVpcCidr": "",
    }


def device(rec: dict, snap: Snapshot) -> dict:
    groups = [snap.device_groups[g] for g in rec.get("GroupIds", ()) if g in snap.device_groups]
    bound = snap.resource_by_rid(rec.get("ResourceId", ""))
    return {
        "Id": rec["Id"], "InstanceId": rec.get("InstanceId", ""), "Name": rec.get("Name", ""),
        "PublicIp": rec.get("PublicIp", ""), "PrivateIp": rec.get("PrivateIp", ""), "ApCode": rec.get("ApCode", ""),
        "OsName": rec["OsName"], "Kind": rec["Kind"], "Port": rec["Port"],
        "GroupSet": [group(g, snap, len(snap.members(snap.devices, [g["Id"]]))) for g in groups],
        "AccountCount": snap.account_counts().get(rec["Id"], 0), "VpcId": rec.get("VpcId", ""),
        "SubnetId": rec.get("SubnetId", ""), "Resource": resource(bound) if bound else None,
        "Department": department(rec, snap),
        "IpPortSet": list(rec.get("IpPortSet", ())), "DomainId": rec.get("DomainId", ""),
        "DomainName": rec.get("DomainId", ""), "EnableSSL": rec.get("EnableSSL", 0),
        "SSLCertName": rec.get("SSLCertName", ""),
    }


def cmd_template(rec: dict) -> dict:
    return {"Id": rec["Id"], "Name": rec["Name"], "CmdList": rec["CmdList"], "Type": rec.get("Type", 2)}


def device_account(rec: dict) -> dict:
    return {"Id": rec["Id"], "DeviceId": rec["DeviceId"], "Account": rec["Account"],
            "BoundPassword": bool(rec.get("Password")), "BoundPrivateKey": bool(rec.get("PrivateKey"))}


ACL_SWITCHES = ("AllowDiskRedirect", "AllowClipFileUp", "AllowClipFileDown", "AllowClipTextUp", "AllowClipTextDown",
                "AllowFileUp", "AllowFileDown", "AllowAnyAccount", "AllowDiskFileUp", "AllowDiskFileDown",
                "AllowShellFileUp", "AllowShellFileDown", "AllowFileDel", "AllowAccessCredential",
                "AllowKeyboardLogger")


def acl(rec: dict, snap: Snapshot) -> dict:
    out = {"Id": rec["Id"], "Name": rec["Name"]}
    out.update({k: rec.get(k, False) for k in ACL_SWITCHES})
    out.update({
        "MaxFileUpSize": rec.get("MaxFileUpSize", 0), "MaxFileDownSize": rec.get("MaxFileDownSize", 0),
        "UserSet": [user(snap.users[i], snap) for i in rec["UserIds"] if i in snap.users],
        "UserGroupSet": [group(snap.user_groups[i], snap, len(snap.members(snap.users, [i])))
                         for i in rec["UserGroupIds"] if i in snap.user_groups],
        "DeviceSet": [device(snap.devices[i], snap) for i in rec["DeviceIds"] if i in snap.devices],
        "DeviceGroupSet": [group(snap.device_groups[i], snap, len(snap.members(snap.devices, [i])))
                           for i in rec["DeviceGroupIds"] if i in snap.device_groups],
        "AccountSet": list(rec["AccountSet"]),
        "CmdTemplateSet": [cmd_template(snap.templates[i]) for i in rec["CmdTemplateIds"] if i in snap.templates],
        "ValidateFrom": rec.get("ValidateFrom", ""), "ValidateTo": rec.get("ValidateTo", ""),
        "Status": times.window_status(rec.get("ValidateFrom"), rec.get("ValidateTo")),
        "Department": department(rec, snap),
        "ACTemplateSet": [],      # database access templates are not provided here
        "WhiteCmds": list(rec.get("WhiteCmds") or []),
    })
    return out
