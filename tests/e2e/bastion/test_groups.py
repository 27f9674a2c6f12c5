"""User groups and device groups: create, modify, delete, members, describe."""
import pytest

KINDS = [("User", "UserSet"), ("Device", "DeviceSet")]


def members(bh, kind: str, n: int) -> list:
    if kind == "User":
        return [bh.user(f"member{i}") for i in range(n)]
    return bh.devices(*(f"10.1.0.{i + 1}" for i in range(n)))


@pytest.mark.parametrize("kind,_", KINDS)
def test_create_modify_describe(bh, kind, _):
    dep = bh.department("Dev")
    a = bh.call(f"Create{kind}Group", Name="alpha", DepartmentId=dep)["Id"]
    b = bh.call(f"Create{kind}Group", Name="beta")["Id"]
    assert b > a
    found = bh.call(f"Describe{kind}Groups")
    assert found["TotalCount"] == 2 and [g["Name"] for g in found["GroupSet"]] == ["alpha", "beta"]
    assert found["GroupSet"][0]["Department"]["Id"] == dep and found["GroupSet"][1]["Department"]["Id"] == "1"
    assert [g["Id"] for g in bh.call(f"Describe{kind}Groups", Name="ALP")["GroupSet"]] == [a]
    assert [g["Id"] for g in bh.call(f"Describe{kind}Groups", IdSet=[b], Name="alp")["GroupSet"]] == [b]
    assert [g["Id"] for g in bh.call(f"Describe{kind}Groups", DepartmentId=dep)["GroupSet"]] == [a]
    assert [g["Id"] for g in bh.call(f"Describe{kind}Groups", DepartmentId="1")["GroupSet"]] == [a, b]
    bh.call(f"Modify{kind}Group", Id=a, Name="gamma")
    assert [g["Name"] for g in bh.call(f"Describe{kind}Groups", IdSet=[a])["GroupSet"]] == ["gamma"]
    assert bh.call(f"Describe{kind}Groups", Limit=1, Offset=1)["GroupSet"][0]["Id"] == b


@pytest.mark.parametrize("kind,_", KINDS)
def test_names(bh, kind, _):
    bh.call(f"Create{kind}Group", Name="x" * 32)
    assert bh.error(f"Create{kind}Group", Name="x" * 33) == "InvalidParameterValue"
    assert bh.error(f"Create{kind}Group", Name="has blank") == "InvalidParameterValue"
    assert bh.error(f"Create{kind}Group", Name="") == "InvalidParameterValue"
    assert bh.error(f"Create{kind}Group", Name="x" * 32) == "FailedOperation.DuplicateData"
    other = bh.call(f"Create{kind}Group", Name="other")["Id"]
    assert bh.error(f"Modify{kind}Group", Id=other, Name="x" * 32) == "FailedOperation.DuplicateData"
    bh.call(f"Modify{kind}Group", Id=other, Name="other")            # keeping its own name is fine
    assert bh.error(f"Modify{kind}Group", Id=other + 10, Name="y") == "ResourceNotFound"
    assert bh.error(f"Describe{kind}Groups", Limit=501) == "InvalidParameterValue"
    assert bh.error(f"Describe{kind}Groups", Name="n" * 65) == "InvalidParameterValue"


@pytest.mark.parametrize("kind,field", KINDS)
def test_members(bh, kind, field):
    gid = bh.call(f"Create{kind}Group", Name="team")["Id"]
    m = members(bh, kind, 3)
    bh.call(f"Add{kind}GroupMembers", Id=gid, MemberIdSet=m[:2])
    assert bh.error(f"Add{kind}GroupMembers", Id=gid, MemberIdSet=[m[1], m[2]]) == "FailedOperation.DuplicateData"
    bound = bh.call(f"Describe{kind}GroupMembers", Id=gid, Bound=True)
    assert bound["TotalCount"] == 2 and [x["Id"] for x in bound[field]] == m[:2]
    assert [x["Id"] for x in bh.call(f"Describe{kind}GroupMembers", Id=gid, Bound=False)[field]] == [m[2]]
    assert bh.call(f"Describe{kind}Groups")["GroupSet"][0]["Count"] == 2
    bh.call(f"Delete{kind}GroupMembers", Id=gid, MemberIdSet=[m[0], m[2]])
    assert [x["Id"] for x in bh.call(f"Describe{kind}GroupMembers", Id=gid, Bound=True)[field]] == [m[1]]
    assert bh.error(f"Add{kind}GroupMembers", Id=gid, MemberIdSet=[m[0], 999]) == "ResourceNotFound"
    assert [x["Id"] for x in bh.call(f"Describe{kind}GroupMembers", Id=gid, Bound=True)[field]] == [m[1]]
    assert bh.error(f"Add{kind}GroupMembers", Id=gid + 5, MemberIdSet=[m[0]]) == "ResourceNotFound"
    assert bh.error(f"Describe{kind}GroupMembers", Id=gid + 5, Bound=True) == "ResourceNotFound"
    assert bh.error(f"Describe{kind}GroupMembers", Id=gid) == "MissingParameter"
    assert bh.error(f"Add{kind}GroupMembers", Id=gid, MemberIdSet=[]) == "InvalidParameterValue"


def test_user_group_member_filters(bh):
    gid = bh.call("CreateUserGroup", Name="team")["Id"]
    dep = bh.department("Dev")
    a = bh.user("rita", RealName="Rita", DepartmentId=dep)
    b = bh.user("sam", RealName="Samuel")
    bh.call("AddUserGroupMembers", Id=gid, MemberIdSet=[a, b])
    ids = lambda **f: [u["Id"] for u in bh.call("DescribeUserGroupMembers", Id=gid, Bound=True, **f)["UserSet"]]  # noqa
    assert ids(Name="SAMU") == [b] and ids(Name="rit") == [a] and ids(DepartmentId=dep) == [a]
    assert ids(Limit=1, Offset=1) == [b]


def test_device_group_member_filters(bh):
    gid = bh.call("CreateDeviceGroup", Name="team")["Id"]
    linux = bh.devices("10.2.0.1")[0]
    win = bh.devices("10.2.0.2", os_name="Windows", port=3389)[0]
    bh.call("AddDeviceGroupMembers", Id=gid, MemberIdSet=[linux, win])
    ids = lambda **f: [d["Id"] for d in bh.call("DescribeDeviceGroupMembers", Id=gid, Bound=True, **f)["DeviceSet"]]  # noqa
    assert ids(Kind=2) == [win] and ids(Name="10.2.0.1") == [linux]
    assert ids(TagFilters=[{"TagKey": "env"}]) == []
    assert bh.error("DescribeDeviceGroupMembers", Id=gid, Bound=True, Kind=9) == "InvalidParameterValue"


@pytest.mark.parametrize("kind,field", KINDS)
def test_delete_groups_releases_members_and_acls(bh, kind, field):
    gid = bh.call(f"Create{kind}Group", Name="doomed")["Id"]
    m = members(bh, kind, 1)
    bh.call(f"Add{kind}GroupMembers", Id=gid, MemberIdSet=m)
    acl = bh.call("CreateAcl", Name="acl", AllowDiskRedirect=False, AllowAnyAccount=True,
                  **{f"{kind}GroupIdSet": [gid]})["Id"]
    assert bh.error(f"Delete{kind}Groups", IdSet=[gid, gid + 1]) == "ResourceNotFound"
    bh.call(f"Delete{kind}Groups", IdSet=[gid])
    assert bh.call(f"Describe{kind}Groups")["TotalCount"] == 0
    listed = bh.call("DescribeUsers" if kind == "User" else "DescribeDevices")[field][0]
    assert listed["GroupSet"] == []
    assert bh.call("DescribeAcls", IdSet=[acl])["AclSet"][0][f"{kind}GroupSet"] == []
    bh.call(f"Create{kind}Group", Name="doomed")
