"""Parameters and fields of the official SDK's dasb models, through the typed DasbClient: Filters of
DescribeUsers/DescribeDevices/DescribeAcls, DomainId, ACTemplateIdSet, and the newer response fields."""
import pytest

BASE = {"AllowDiskRedirect": True, "AllowAnyAccount": False}


def ids(rows) -> list:
    return [r["Id"] for r in rows]


def test_describe_users_filters(bh, other):
    a = bh.user("alice", Email="a@example.com")
    b = bh.user("bob", Phone="+852 61234567")
    other.user("alice")
    users = lambda *f: ids(bh.call("DescribeUsers", Filters=[{"Name": n, "Values": v} for n, v in f])["UserSet"])
    assert users(("UserName", ["ALI"])) == [a]
    assert users(("UserName", ["ali", "bo"])) == [a, b]
    assert users(("Phone", ["+852|61234567"])) == [b]
    assert users(("Email", ["a@example.com"]), ("UserName", ["bob"])) == []
    assert users(("Status", ["inactive"])) == [a, b] and users(("Status", ["locked"])) == []
    user = bh.call("DescribeUsers", IdSet=[a])["UserSet"][0]
    assert (user["Status"], user["UKeyStatus"], user["AclVersion"]) == ("inactive", 0, 0)


@pytest.mark.parametrize("action,bad", [
    ("DescribeUsers", {"Name": "Nope", "Values": ["x"]}),
    ("DescribeUsers", {"Name": "UserName", "Values": []}),
    ("DescribeDevices", {"Name": "BindingStatus", "Values": ["2"]}),
    ("DescribeDevices", {"Name": "Kind", "Values": ["1"]}),
    ("DescribeAcls", {"Name": "UserName", "Values": ["x"]}),
])
def test_unknown_filter_names_are_invalid(bh, action, bad):
    assert bh.error(action, Filters=[bad]) == "InvalidParameterValue"


def test_describe_devices_filters_and_domain(bh, other):
    d1, d2 = bh.devices("10.0.0.1", "10.0.0.2")
    other.devices("10.0.0.1")
    rid = bh.resource()
    bh.call("BindDeviceResource", ResourceId=rid, DeviceIdSet=[d1], DomainId="net-abc123")
    devices = lambda *f: ids(bh.call("DescribeDevices", Filters=[{"Name": n, "Values": v} for n, v in f])["DeviceSet"])
    assert devices(("BindingStatus", ["1"])) == [d1] and devices(("BindingStatus", ["0"])) == [d2]
    assert devices(("BindingStatus", ["0", "1"])) == [d1, d2]
    assert devices(("Ip", ["10.0.0.2"])) == [d2] and devices(("Name", ["10.0.0"]), ("BindingStatus", ["0"])) == [d2]
    dev = bh.call("DescribeDevices", IdSet=[d1])["DeviceSet"][0]
    assert (dev["DomainId"], dev["DomainName"], dev["EnableSSL"], dev["IpPortSet"], dev["SSLCertName"]) == (
        "net-abc123", "net-abc123", 0, [], "")
    bh.call("ModifyDevice", Id=d2, DomainId="net-other")
    assert bh.call("DescribeDevices", IdSet=[d2])["DeviceSet"][0]["DomainId"] == "net-other"
    bh.call("ModifyDevice", Id=d2, Port=2222)                      # left out: kept
    assert bh.call("DescribeDevices", IdSet=[d2])["DeviceSet"][0]["DomainId"] == "net-other"
    assert bh.error("ModifyDevice", Id=d2, DomainId="bad id!") == "InvalidParameterValue"
    assert bh.call("DescribeDevices", IdSet=[d2])["DeviceSet"][0]["DomainId"] == "net-other"
    assert other.error("ModifyDevice", Id=d2, DomainId="net-x") == "ResourceNotFound"
    res = bh.call("DescribeResources", ResourceIds=[rid])["ResourceSet"][0]
    assert (res["ClbSet"], res["DomainCount"], res["IntranetAccess"], res["LogDelivery"]) == ([], 0, 0, "")


def test_acl_templates_whitelist_and_filters(bh):
    uid = bh.user("alice")
    gid = bh.call("CreateUserGroup", Name="ops")["Id"]
    bh.call("AddUserGroupMembers", Id=gid, MemberIdSet=[uid])
    aid = bh.call("CreateAcl", Name="ops-web", UserGroupIdSet=[gid], ACTemplateIdSet=[], **BASE)["Id"]
    acl = bh.call("DescribeAcls", IdSet=[aid])["AclSet"][0]
    assert acl["ACTemplateSet"] == [] and acl["WhiteCmds"] == []
    assert acl["UserGroupSet"][0]["Count"] == 1
    # database access templates are not provided: any id is unknown, and nothing is created or changed
    assert bh.error("CreateAcl", Name="db", ACTemplateIdSet=["acl-tpl-1"], **BASE) == "ResourceNotFound"
    assert bh.call("DescribeAcls", Filters=[{"Name": "Name", "Values": ["db"]}])["TotalCount"] == 0
    assert bh.error("ModifyAcl", Id=aid, Name="renamed", ACTemplateIdSet=["acl-tpl-1"], **BASE) == "ResourceNotFound"
    assert bh.call("DescribeAcls", IdSet=[aid])["AclSet"][0]["Name"] == "ops-web"
    bh.call("CreateAcl", Name="later", ValidateFrom="2099-01-01T00:00:00+08:00", **BASE)
    acls = lambda *f: [a["Name"] for a in bh.call("DescribeAcls", Filters=[{"Name": n, "Values": v}
                                                                            for n, v in f])["AclSet"]]
    assert acls(("Status", ["2"])) == ["later"] and acls(("Status", ["1", "2"])) == ["ops-web", "later"]
    assert acls(("Name", ["OPS"])) == ["ops-web"]


def test_group_count_in_user_and_device_views(bh):
    u1, u2 = bh.user("alice"), bh.user("bob")
    gid = bh.call("CreateUserGroup", Name="ops")["Id"]
    bh.call("AddUserGroupMembers", Id=gid, MemberIdSet=[u1, u2])
    assert bh.call("DescribeUsers", IdSet=[u1])["UserSet"][0]["GroupSet"] == [
        {"Id": gid, "Name": "ops", "Department": {"Id": "1", "Name": "Root", "Managers": [], "ManagerUsers": []},
         "Count": 2}]
