"""Cross-account isolation: another account's Ids answer as if they did not exist."""
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException


@pytest.fixture
def world(bh):
    """One of everything in account `bh`."""
    uid = bh.user("alice")
    ugid = bh.call("CreateUserGroup", Name="ops")["Id"]
    dev = bh.devices("10.0.0.1")[0]
    dgid = bh.call("CreateDeviceGroup", Name="web")["Id"]
    tid = bh.call("CreateCmdTemplate", Name="t", CmdList="ls")["Id"]
    acc = bh.call("CreateDeviceAccount", DeviceId=dev, Account="root")["Id"]
    aid = bh.call("CreateAcl", Name="a", AllowDiskRedirect=False, AllowAnyAccount=True, UserIdSet=[uid])["Id"]
    rid = bh.resource()
    return {"user": uid, "ugroup": ugid, "device": dev, "dgroup": dgid, "template": tid, "account": acc,
            "acl": aid, "resource": rid}


def test_another_account_sees_nothing(world, other):
    for action, field in (("DescribeUsers", "UserSet"), ("DescribeUserGroups", "GroupSet"),
                          ("DescribeDevices", "DeviceSet"), ("DescribeDeviceGroups", "GroupSet"),
                          ("DescribeAcls", "AclSet"), ("DescribeCmdTemplates", "CmdTemplateSet")):
        found = other.call(action, IdSet=[1, 2, 3])
        assert found["TotalCount"] == 0 and found[field] == [], action
        assert other.call(action)["TotalCount"] == 0, action
    assert other.call("DescribeResources")["TotalCount"] == 0
    assert other.call("DescribeResources", ResourceIds=[world["resource"]])["ResourceSet"] == []
    assert other.call("DescribeDeviceAccounts", IdSet=[world["account"]])["TotalCount"] == 0
    assert other.call("DescribeUsers", UserName="alice")["TotalCount"] == 0


def test_another_account_cannot_touch_anything(bh, world, other):
    w = world
    attempts = [
        ("ModifyUser", dict(Id=w["user"], RealName="X", Phone="13800000000", Email="")),
        ("DeleteUsers", dict(IdSet=[w["user"]])), ("ResetUser", dict(IdSet=[w["user"]])),
        ("ModifyUserGroup", dict(Id=w["ugroup"], Name="x")), ("DeleteUserGroups", dict(IdSet=[w["ugroup"]])),
        ("AddUserGroupMembers", dict(Id=w["ugroup"], MemberIdSet=[w["user"]])),
        ("DeleteUserGroupMembers", dict(Id=w["ugroup"], MemberIdSet=[w["user"]])),
        ("DescribeUserGroupMembers", dict(Id=w["ugroup"], Bound=True)),
        ("ModifyDevice", dict(Id=w["device"], Port=23)), ("DeleteDevices", dict(IdSet=[w["device"]])),
        ("ModifyDeviceGroup", dict(Id=w["dgroup"], Name="x")), ("DeleteDeviceGroups", dict(IdSet=[w["dgroup"]])),
        ("AddDeviceGroupMembers", dict(Id=w["dgroup"], MemberIdSet=[w["device"]])),
        ("DeleteDeviceGroupMembers", dict(Id=w["dgroup"], MemberIdSet=[w["device"]])),
        ("DescribeDeviceGroupMembers", dict(Id=w["dgroup"], Bound=True)),
        ("ModifyCmdTemplate", dict(Id=w["template"], Name="x", CmdList="ls")),
        ("DeleteCmdTemplates", dict(IdSet=[w["template"]])),
        ("CreateDeviceAccount", dict(DeviceId=w["device"], Account="admin")),
        ("DeleteDeviceAccounts", dict(IdSet=[w["account"]])),
        ("DescribeDeviceAccounts", dict(DeviceId=w["device"])),
        ("BindDeviceAccountPassword", dict(Id=w["account"], Password="pw")),
        ("ResetDeviceAccountPassword", dict(IdSet=[w["account"]])),
        ("ResetDeviceAccountPrivateKey", dict(IdSet=[w["account"]])),
        ("ModifyAcl", dict(Id=w["acl"], Name="x", AllowDiskRedirect=True, AllowAnyAccount=True)),
        ("DeleteAcls", dict(IdSet=[w["acl"]])),
        ("CreateAcl", dict(Name="steal", AllowDiskRedirect=True, AllowAnyAccount=True, UserIdSet=[w["user"]])),
        ("ModifyDasbResource", dict(ResourceId=w["resource"], ResourceNode=20)),
    ]
    for action, params in attempts:
        assert other.error(action, **params) == "ResourceNotFound", action
    own = other.devices("10.9.9.9")[0]
    assert other.error("BindDeviceResource", DeviceIdSet=[own], ResourceId=w["resource"]) == \
        "InvalidParameter.ResourceId"
    assert other.error("DestroyDasbResource", ResourceId=w["resource"]) == "InvalidParameter"  # its error table
    # the owner's data is as it was
    user = bh.call("DescribeUsers", IdSet=[w["user"]])["UserSet"][0]
    assert user["RealName"] == "Alice" and bh.call("DescribeDevices")["DeviceSet"][0]["Port"] == 22
    assert bh.call("DescribeAcls")["AclSet"][0]["Name"] == "a"
    assert bh.call("DescribeDeviceAccounts", IdSet=[w["account"]])["DeviceAccountSet"][0]["BoundPassword"] is False
    assert bh.call("DescribeResources")["ResourceSet"][0]["Nodes"] == 10


def test_names_are_per_account(world, other):
    other.user("alice")
    other.call("CreateUserGroup", Name="ops")
    other.call("CreateAcl", Name="a", AllowDiskRedirect=False, AllowAnyAccount=True)
    other.devices("10.0.0.1")
    other.resource()


def test_unauthorized_caller_is_refused(stack, bh):
    from layers import identity
    from bastion_helpers import Bastion
    user = identity.create_user(bh.acct["OwnerUin"], "auditor", policy=["dasb:Describe*"])
    key = identity.create_key(user["Uin"])
    auditor = Bastion(stack.endpoint, {**bh.acct, **key})
    assert auditor.call("DescribeUsers")["TotalCount"] == 0
    try:
        auditor.call("CreateUser", UserName="mallory", RealName="M", Phone="13800000000")
    except TencentCloudSDKException as exc:
        assert exc.code == "AuthFailure.UnauthorizedOperation"
    else:
        raise AssertionError("a Describe-only user created a user")
