"""The bastion actions through every request style, the registry, and audit events."""
import pytest

from helpers import common_client
from layers.gateway import registry

SEED_ACTIONS = {
    "DescribeLicenseUsage", "ResetUser", "SearchCommand", "DescribeResources", "SearchFile", "CreateAcl",
    "DeleteAcls", "DescribeAcls", "ModifyAcl", "CreateUser", "DeleteUsers", "DescribeUsers", "ModifyUser",
    "AddUserGroupMembers", "CreateUserGroup", "DeleteUserGroupMembers", "DeleteUserGroups",
    "DescribeUserGroupMembers", "DescribeUserGroups", "CreateResource", "DestroyDasbResource",
    "InquireCreateDasbResource", "ModifyDasbResource", "BindDeviceResource", "DescribeDevices",
    "AddDeviceGroupMembers", "CreateDeviceGroup", "DeleteDeviceGroupMembers", "DeleteDeviceGroups",
    "DescribeDeviceGroupMembers", "DescribeDeviceGroups",
}
SUPPORTING = {
    "CreateCmdTemplate", "ModifyCmdTemplate", "DeleteCmdTemplates", "DescribeCmdTemplates", "CreateDeviceAccount",
    "DeleteDeviceAccounts", "DescribeDeviceAccounts", "BindDeviceAccountPassword", "BindDeviceAccountPrivateKey",
    "ResetDeviceAccountPassword", "ResetDeviceAccountPrivateKey", "ImportExternalDevice", "ModifyDevice",
    "DeleteDevices", "ModifyUserGroup", "ModifyDeviceGroup", "CreateAssetSyncJob", "DescribeAssetSyncStatus",
}


def test_every_action_is_registered_and_ignores_the_region():
    specs = {s.name: s for s in registry.all_actions(registry.SERVICES["bhsaas"])}
    assert len(SEED_ACTIONS) == 31 and SEED_ACTIONS | SUPPORTING <= set(specs)
    assert all(specs[n].region == "ignored" for n in SEED_ACTIONS | SUPPORTING)


@pytest.mark.parametrize("sign", ["TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_request_styles(stack, bh, sign, method):
    uid = bh.user("alice")
    gid = bh.call("CreateUserGroup", Name="ops", DepartmentId="1")["Id"]
    bh.call("AddUserGroupMembers", Id=gid, MemberIdSet=[uid])
    client = common_client(stack.endpoint, bh.acct, "dasb", "2019-10-18", method=method, sign=sign, region="")
    call = lambda action, params: client.call_json(action, params)["Response"]  # noqa: E731
    assert [u["Id"] for u in call("DescribeUsers", {"IdSet": [uid], "Limit": 5, "AuthTypeSet": [0]})["UserSet"]] == [uid]
    assert call("DescribeUserGroupMembers", {"Id": gid, "Bound": True})["TotalCount"] == 1
    assert call("DescribeUserGroupMembers", {"Id": gid, "Bound": False})["TotalCount"] == 0
    assert call("DescribeAcls", {"Exact": False, "Status": 1})["TotalCount"] == 0
    assert call("DescribeDevices", {"TagFilters": [{"TagKey": "env", "TagValue": ["a", "b"]}]})["TotalCount"] == 0
    created = call("CreateUser", {"UserName": f"u{sign[-3:]}{method}", "RealName": "R", "Phone": "+852 61234567",
                                  "GroupIdSet": [gid], "AuthType": 2})
    assert created["Id"] > uid
