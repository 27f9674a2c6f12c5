"""Access permissions: CreateAcl, ModifyAcl, DeleteAcls, DescribeAcls."""
import pytest

BASE = {"AllowDiskRedirect": True, "AllowAnyAccount": False}


def test_create_and_describe_an_acl(bh):
    uid = bh.user("alice")
    ugid = bh.call("CreateUserGroup", Name="ops")["Id"]
    dev = bh.devices("10.0.0.1")[0]
    dgid = bh.call("CreateDeviceGroup", Name="web")["Id"]
    tid = bh.call("CreateCmdTemplate", Name="danger", CmdList="rm -rf /")["Id"]
    dep = bh.department("Ops")
    aid = bh.call("CreateAcl", Name="ops-web", AllowDiskRedirect=True, AllowAnyAccount=False, AllowClipFileUp=True,
                  AllowFileUp=True, MaxFileUpSize=1024, UserIdSet=[uid], UserGroupIdSet=[ugid], DeviceIdSet=[dev],
                  DeviceGroupIdSet=[dgid], AccountSet=["root", "root", "admin"], CmdTemplateIdSet=[tid],
                  AllowShellFileDown=True, ValidateFrom="2021-09-22T00:00:00+00:00",
                  ValidateTo="2099-09-23T00:00:00+00:00", DepartmentId=dep)["Id"]
    acl = bh.call("DescribeAcls", IdSet=[aid])["AclSet"][0]
    assert acl["Name"] == "ops-web" and acl["AllowDiskRedirect"] and not acl["AllowAnyAccount"]
    assert acl["AllowClipFileUp"] and acl["AllowFileUp"] and acl["AllowShellFileDown"] and not acl["AllowFileDel"]
    assert acl["AllowAccessCredential"] is True and acl["MaxFileUpSize"] == 1024 and acl["MaxFileDownSize"] == 0
    assert [u["Id"] for u in acl["UserSet"]] == [uid] and acl["UserSet"][0]["UserName"] == "alice"
    assert [g["Id"] for g in acl["UserGroupSet"]] == [ugid] and [g["Id"] for g in acl["DeviceGroupSet"]] == [dgid]
    assert [d["Id"] for d in acl["DeviceSet"]] == [dev] and acl["DeviceSet"][0]["PrivateIp"] == "10.0.0.1"
    assert acl["AccountSet"] == ["root", "admin"]
    assert acl["CmdTemplateSet"] == [{"Id": tid, "Name": "danger", "CmdList": "rm -rf /", "Type": 2}]
    assert acl["ValidateFrom"] == "2021-09-22T00:00:00+00:00" and acl["Status"] == 1
    assert acl["Department"]["Id"] == dep and acl["UserSet"][0]["Department"]["Id"] == "1"


@pytest.mark.parametrize("name", ["", "a b", "x" * 33])
def test_name_rule(bh, name):
    assert bh.error("CreateAcl", Name=name, **BASE) == "InvalidParameterValue"


def test_create_errors(bh):
    bh.call("CreateAcl", Name="taken", **BASE)
    assert bh.error("CreateAcl", Name="taken", **BASE) == "FailedOperation.DuplicateData"
    assert bh.error("CreateAcl", Name="n", AllowDiskRedirect=True) == "MissingParameter"
    for ref in ("UserIdSet", "UserGroupIdSet", "DeviceIdSet", "DeviceGroupIdSet", "CmdTemplateIdSet"):
        assert bh.error("CreateAcl", Name="n", **BASE, **{ref: [42]}) == "ResourceNotFound", ref
    assert bh.error("CreateAcl", Name="n", **BASE, AccountSet=["bad name"]) == "InvalidParameterValue"
    assert bh.error("CreateAcl", Name="n", **BASE, ValidateFrom="2022-02-01T00:00:00+08:00",
                    ValidateTo="2022-01-01T00:00:00+08:00") == "InvalidParameterValue"
    assert bh.error("CreateAcl", Name="n", **BASE, ValidateTo="not a time") == "InvalidParameterValue"
    assert bh.call("DescribeAcls")["TotalCount"] == 1


def test_status_is_derived_from_the_validity_window(bh):
    active = bh.call("CreateAcl", Name="active", **BASE)["Id"]
    future = bh.call("CreateAcl", Name="future", **BASE, ValidateFrom="2098-01-01T00:00:00+08:00")["Id"]
    expired = bh.call("CreateAcl", Name="expired", **BASE, ValidateFrom="2020-01-01T00:00:00+08:00",
                      ValidateTo="2021-01-01T00:00:00+08:00")["Id"]
    status = {a["Id"]: a["Status"] for a in bh.call("DescribeAcls")["AclSet"]}
    assert status == {active: 1, future: 2, expired: 3}
    for code, aid in ((1, active), (2, future), (3, expired)):
        assert [a["Id"] for a in bh.call("DescribeAcls", Status=code)["AclSet"]] == [aid]
    assert bh.error("DescribeAcls", Status=4) == "InvalidParameterValue"


def test_name_filters(bh):
    a = bh.call("CreateAcl", Name="prod-db", **BASE)["Id"]
    b = bh.call("CreateAcl", Name="prod", **BASE)["Id"]
    dep = bh.department("Test")
    c = bh.call("CreateAcl", Name="test", **BASE, DepartmentId=bh.department("Lab", parent=dep))["Id"]
    ids = lambda **f: [x["Id"] for x in bh.call("DescribeAcls", **f)["AclSet"]]  # noqa: E731
    assert ids(Name="PROD") == [a, b] and ids(Name="prod", Exact=True) == [b]
    assert ids(IdSet=[c], Name="prod") == [c] and ids(DepartmentId=dep) == [c]
    assert ids(Limit=1, Offset=2) == [c] and bh.call("DescribeAcls", Limit=1)["TotalCount"] == 3
    assert bh.error("DescribeAcls", Limit=501) == "InvalidParameterValue"


def test_authorized_filters_resolve_groups(bh):
    alice, bob, carol = bh.user("alice"), bh.user("bob"), bh.user("carol")
    ops = bh.call("CreateUserGroup", Name="ops")["Id"]
    bh.call("AddUserGroupMembers", Id=ops, MemberIdSet=[bob])
    web, db, lone = bh.devices("10.0.0.1", "10.0.0.2", "10.0.0.3")
    webs = bh.call("CreateDeviceGroup", Name="webs")["Id"]
    bh.call("AddDeviceGroupMembers", Id=webs, MemberIdSet=[web])
    direct = bh.call("CreateAcl", Name="direct", **BASE, UserIdSet=[alice], DeviceIdSet=[db])["Id"]
    grouped = bh.call("CreateAcl", Name="grouped", **BASE, UserGroupIdSet=[ops], DeviceGroupIdSet=[webs])["Id"]
    acls = lambda **f: [x["Id"] for x in bh.call("DescribeAcls", **f)["AclSet"]]  # noqa: E731
    assert acls(AuthorizedUserIdSet=[bob]) == [grouped] and acls(AuthorizedUserIdSet=[alice, bob]) == [direct, grouped]
    assert acls(AuthorizedUserIdSet=[carol]) == []
    assert acls(AuthorizedDeviceIdSet=[web]) == [grouped] and acls(AuthorizedDeviceIdSet=[lone]) == []
    assert acls(AuthorizedUserIdSet=[bob], AuthorizedDeviceIdSet=[db]) == []
    users = lambda **f: [x["Id"] for x in bh.call("DescribeUsers", **f)["UserSet"]]  # noqa: E731
    devices = lambda **f: [x["Id"] for x in bh.call("DescribeDevices", **f)["DeviceSet"]]  # noqa: E731
    assert users(AuthorizedDeviceIdSet=[web]) == [bob] and users(AuthorizedDeviceIdSet=[db, web]) == [alice, bob]
    assert devices(AuthorizedUserIdSet=[bob]) == [web] and devices(AuthorizedUserIdSet=[alice, carol]) == [db]
    # joining a group later grants access through the same ACL
    bh.call("AddUserGroupMembers", Id=ops, MemberIdSet=[carol])
    assert devices(AuthorizedUserIdSet=[carol]) == [web]
    bh.call("AddDeviceGroupMembers", Id=webs, MemberIdSet=[lone])
    assert users(AuthorizedDeviceIdSet=[lone]) == [bob, carol]


def test_modify_acl(bh):
    uid, dev = bh.user("dora"), bh.devices("10.0.0.9")[0]
    aid = bh.call("CreateAcl", Name="a", **BASE, AllowFileUp=True, UserIdSet=[uid], DeviceIdSet=[dev],
                  AccountSet=["root"], ValidateFrom="2021-01-01T00:00:00+08:00", DepartmentId="1")["Id"]
    bh.call("ModifyAcl", Id=aid, Name="b", AllowDiskRedirect=False, AllowAnyAccount=True, AllowFileDown=True,
            DeviceIdSet=[])
    acl = bh.call("DescribeAcls", IdSet=[aid])["AclSet"][0]
    assert acl["Name"] == "b" and not acl["AllowDiskRedirect"] and acl["AllowAnyAccount"]
    assert acl["AllowFileUp"] and acl["AllowFileDown"]                   # left out: kept; given: set
    assert [u["Id"] for u in acl["UserSet"]] == [uid] and acl["DeviceSet"] == [] and acl["AccountSet"] == ["root"]
    assert acl["ValidateFrom"] == "" and acl["Department"]["Id"] == "1"
    other = bh.call("CreateAcl", Name="c", **BASE)["Id"]
    assert bh.error("ModifyAcl", Id=other, Name="b", **BASE) == "FailedOperation.DuplicateData"
    assert bh.error("ModifyAcl", Id=other + 9, Name="z", **BASE) == "ResourceNotFound"
    assert bh.error("ModifyAcl", Id=other, Name="z", **BASE, UserIdSet=[77]) == "ResourceNotFound"
    assert bh.error("ModifyAcl", Name="z", **BASE) == "MissingParameter"
    assert [x["Name"] for x in bh.call("DescribeAcls")["AclSet"]] == ["b", "c"]


def test_delete_acls(bh):
    a = bh.call("CreateAcl", Name="a", **BASE)["Id"]
    b = bh.call("CreateAcl", Name="b", **BASE)["Id"]
    assert bh.error("DeleteAcls", IdSet=[a, b + 1]) == "ResourceNotFound"
    bh.call("DeleteAcls", IdSet=[a])
    assert [x["Id"] for x in bh.call("DescribeAcls")["AclSet"]] == [b]
    bh.call("CreateAcl", Name="a", **BASE)
