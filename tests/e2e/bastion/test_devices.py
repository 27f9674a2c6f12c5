"""Devices: ImportExternalDevice, DescribeDevices, ModifyDevice, DeleteDevices."""
import pytest


def test_import_and_describe(bh):
    dep = bh.department("Web")
    ids = bh.call("ImportExternalDevice", DeviceSet=[
        {"OsName": "Linux", "Ip": "10.0.0.1", "Port": 22, "Name": "web-1", "DepartmentId": dep},
        {"OsName": "Windows", "Ip": "10.0.0.2", "Port": 3389},
        {"OsName": "MySQL", "Ip": "2001:db8::1", "Port": 3306, "Name": "db"}])["DeviceIdSet"]
    assert len(ids) == 3 and ids == sorted(ids)
    found = bh.call("DescribeDevices")
    assert found["TotalCount"] == 3
    web, win, db = found["DeviceSet"]
    assert (web["Id"], web["Name"], web["PrivateIp"], web["Kind"], web["OsName"], web["Port"]) == \
        (ids[0], "web-1", "10.0.0.1", 1, "Linux", 22)
    assert web["Department"]["Id"] == dep and web["Resource"] is None and web["GroupSet"] == []
    assert (win["Kind"], win["Name"]) == (2, "10.0.0.2") and (db["Kind"], db["Port"]) == (3, 3306)
    assert web["AccountCount"] == 0 and web["InstanceId"] == ""


@pytest.mark.parametrize("device", [
    {"OsName": "Solaris", "Ip": "10.0.0.1", "Port": 22}, {"OsName": "Linux", "Ip": "10.0.0.256", "Port": 22},
    {"OsName": "Linux", "Ip": "10.0.0.1", "Port": 0}, {"OsName": "Linux", "Ip": "10.0.0.1", "Port": 65536},
    {"OsName": "Linux", "Ip": "host.example", "Port": 22},
])
def test_import_rules(bh, device):
    assert bh.error("ImportExternalDevice", DeviceSet=[device]) == "InvalidParameterValue"


def test_import_duplicates_are_refused_whole(bh):
    bh.devices("10.0.0.1")
    assert bh.error("ImportExternalDevice", DeviceSet=[{"OsName": "Linux", "Ip": "10.0.0.9", "Port": 22},
                                                       {"OsName": "Linux", "Ip": "10.0.0.1", "Port": 22}]) == \
        "FailedOperation.DuplicateData"
    assert bh.error("ImportExternalDevice", DeviceSet=[{"OsName": "Linux", "Ip": "10.0.0.8", "Port": 22},
                                                       {"OsName": "Linux", "Ip": "10.0.0.8", "Port": 22}]) == \
        "FailedOperation.DuplicateData"
    assert bh.call("DescribeDevices")["TotalCount"] == 1
    bh.devices("10.0.0.1", port=2222)                                   # another port is another device
    assert bh.error("ImportExternalDevice", DeviceSet=[]) == "InvalidParameterValue"
    assert bh.error("ImportExternalDevice", DeviceSet=[{"OsName": "Linux", "Ip": "10.0.0.7"}]) == "MissingParameter"


def test_describe_filters(bh):
    dep = bh.department("Alpha")
    linux = bh.call("ImportExternalDevice", DeviceSet=[
        {"OsName": "Linux", "Ip": "10.0.1.1", "Port": 22, "Name": "alpha", "DepartmentId": dep}])["DeviceIdSet"][0]
    win = bh.devices("10.0.1.2", os_name="Windows", port=3389)[0]
    db = bh.devices("10.0.1.3", os_name="MySQL", port=3306)[0]
    ids = lambda **f: [d["Id"] for d in bh.call("DescribeDevices", **f)["DeviceSet"]]  # noqa: E731
    assert ids(Name="ALPH") == [linux] and ids(Name="10.0.1.") == [linux, win, db]
    assert ids(Kind=2) == [win] and ids(KindSet=[1, 3]) == [linux, db] and ids(Kind=2, KindSet=[3]) == [win, db]
    assert ids(IdSet=[db], Kind=1) == [db] and ids(DepartmentId=dep) == [linux]
    assert ids(ApCodeSet=["ap-guangzhou"]) == [] and ids(Ip="10.9.9.9") == [linux, win, db]
    assert ids(TagFilters=[{"TagKey": "env", "TagValue": ["prod"]}]) == []
    bh.call("CreateDeviceAccount", DeviceId=win, Account="administrator")
    assert ids(ManagedAccount="1") == [win] and ids(ManagedAccount="0") == [linux, db]
    assert ids(Limit=1, Offset=1) == [win] and bh.call("DescribeDevices", Limit=1)["TotalCount"] == 3
    assert bh.error("DescribeDevices", Kind=5) == "InvalidParameterValue"
    assert bh.error("DescribeDevices", Limit=1001) == "InvalidParameterValue"


def test_modify_device(bh):
    dev = bh.devices("10.0.2.1")[0]
    g1, g2 = bh.call("CreateDeviceGroup", Name="g1")["Id"], bh.call("CreateDeviceGroup", Name="g2")["Id"]
    dep = bh.department("Db")
    bh.call("ModifyDevice", Id=dev, Port=2222, GroupIdSet=[g1, g2], DepartmentId=dep)
    got = bh.call("DescribeDevices", IdSet=[dev])["DeviceSet"][0]
    assert got["Port"] == 2222 and [g["Id"] for g in got["GroupSet"]] == [g1, g2] and got["Department"]["Id"] == dep
    bh.call("ModifyDevice", Id=dev, GroupIdSet=[g2])
    got = bh.call("DescribeDevices", IdSet=[dev])["DeviceSet"][0]
    assert got["Port"] == 2222 and [g["Id"] for g in got["GroupSet"]] == [g2]
    assert bh.error("ModifyDevice", Id=dev + 7, Port=22) == "ResourceNotFound"
    assert bh.error("ModifyDevice", Id=dev, GroupIdSet=[99]) == "ResourceNotFound"
    assert bh.error("ModifyDevice", Id=dev, Port=70000) == "InvalidParameterValue"


def test_delete_devices_cascades(bh):
    keep, gone = bh.devices("10.0.3.1", "10.0.3.2")
    gid = bh.call("CreateDeviceGroup", Name="g")["Id"]
    bh.call("AddDeviceGroupMembers", Id=gid, MemberIdSet=[keep, gone])
    acc = bh.call("CreateDeviceAccount", DeviceId=gone, Account="root")["Id"]
    bh.call("BindDeviceAccountPassword", Id=acc, Password="pw")
    acl = bh.call("CreateAcl", Name="a", AllowDiskRedirect=False, AllowAnyAccount=True, DeviceIdSet=[keep, gone])["Id"]
    rid = bh.resource(nodes=10)
    bh.call("BindDeviceResource", DeviceIdSet=[keep, gone], ResourceId=rid)
    assert bh.error("DeleteDevices", IdSet=[gone, gone + 100]) == "ResourceNotFound"
    bh.call("DeleteDevices", IdSet=[gone])
    assert [d["Id"] for d in bh.call("DescribeDevices")["DeviceSet"]] == [keep]
    assert bh.call("DescribeDeviceAccounts", IdSet=[acc])["TotalCount"] == 0
    assert [d["Id"] for d in bh.call("DescribeAcls", IdSet=[acl])["AclSet"][0]["DeviceSet"]] == [keep]
    assert bh.call("DescribeDeviceGroups")["GroupSet"][0]["Count"] == 1
    assert bh.call("DescribeResources", ResourceIds=[rid])["ResourceSet"][0]["UsedNodes"] == 1
    bh.devices("10.0.3.2")                                              # its address is free again
