"""Bastion resources: CreateResource, DescribeResources, ModifyDasbResource, DestroyDasbResource,
InquireCreateDasbResource, BindDeviceResource, DescribeLicenseUsage."""
import pytest

from network_helpers import own_network

BUY = {"ResourceEdition": "standard", "ResourceNode": 10, "TimeUnit": "m", "TimeSpan": 12,
       "DeployRegion": "ap-guangzhou", "DeployZone": "ap-guangzhou-3"}


def test_create_and_describe(bh):
    net = own_network(bh.acct["OwnerUin"])
    rid = bh.call("CreateResource", **{**BUY, "ResourceEdition": "pro", "ResourceNode": 50}, VpcId=net.vpc_id,
                  SubnetId=net.subnet_id, PayMode=1, AutoRenewFlag=1)["ResourceId"]
    assert rid.startswith("bh-saas-")
    res = bh.call("DescribeResources")["ResourceSet"][0]
    assert res["ResourceId"] == rid and res["ApCode"] == "ap-guangzhou" and res["Zone"] == "ap-guangzhou-3"
    assert res["Nodes"] == 50 and res["UsedNodes"] == 0 and res["RenewFlag"] == 1 and res["Status"] == 1
    assert res["Deployed"] is True and res["Expired"] is False and res["ModuleSet"] == ["DB"]
    assert (res["VpcId"], res["VpcName"], res["VpcCidrBlock"]) == (net.vpc_id, net.vpc_name, "10.8.0.0/16")
    assert (res["SubnetId"], res["SubnetName"], res["CidrBlock"]) == (net.subnet_id, net.subnet_name, "10.8.1.0/24")
    assert res["CreateTime"] < res["ExpireTime"] and res["ProductCode"] == "p_cds_dasb"


def test_a_vpc_hosts_one_service(bh, other):
    first, second = (own_network(bh.acct["OwnerUin"], prefix).vpc_id for prefix in ("10.21", "10.22"))
    bh.call("CreateResource", **BUY, VpcId=first)
    assert bh.error("CreateResource", **BUY, VpcId=first) == "FailedOperation.VPCDeployed"
    undeployed = bh.call("CreateResource", **BUY)["ResourceId"]
    res = bh.call("DescribeResources", ResourceIds=[undeployed])["ResourceSet"][0]
    assert res["Deployed"] is False and res["Status"] == 0
    bh.call("CreateResource", **BUY, VpcId=second)
    assert [r["VpcId"] for r in bh.call("DescribeResources", VpcId=second)["ResourceSet"]] == [second]
    assert bh.call("DescribeResources", ApCode="ap-shanghai")["ResourceSet"] == []
    assert bh.call("DescribeResources", ResourceIds=[undeployed], VpcId=second)["TotalCount"] == 1
    assert bh.call("DescribeResources", Limit=1, Offset=1)["TotalCount"] == 3
    old = bh.call("DescribeResources", VpcId=first)["ResourceSet"][0]["ResourceId"]
    bh.raw("DestroyDasbResource", ResourceId=old)
    bh.call("CreateResource", **BUY, VpcId=first)                  # free again once destroyed


def test_an_unknown_vpc_or_subnet_is_not_found(bh):
    net = own_network(bh.acct["OwnerUin"], "10.23")
    for action in ("CreateResource", "InquireCreateDasbResource"):
        assert bh.raw_error(action, **BUY, VpcId="vpc-nothere1") == "ResourceNotFound", action
        assert bh.raw_error(action, **BUY, VpcId=net.vpc_id, SubnetId="subnet-nothere1") == "ResourceNotFound"
    assert bh.call("DescribeResources")["TotalCount"] == 0


@pytest.mark.parametrize("change", [
    {"ResourceEdition": "gold"}, {"ResourceNode": 30}, {"TimeUnit": "y"}, {"TimeSpan": 0},
    {"DeployRegion": "mars-1"}, {"DeployZone": "ap-shanghai-2"}, {"PayMode": 2}, {"VpcId": "net-1"},
])
def test_purchase_rules(bh, change):
    assert bh.error("CreateResource", **{**BUY, **change}) == "InvalidParameterValue"


def test_purchase_rules_outside_the_sdk_model(bh):
    assert bh.raw_error("CreateResource", **BUY, LbVipIsp="ACME") == "InvalidParameterValue"
    assert bh.raw("CreateResource", **BUY, LbVipIsp="BGP", MbpExp=1, NodeExp=2)["ResourceId"]
    assert bh.error("CreateResource", **{k: v for k, v in BUY.items() if k != "DeployZone"}) == "MissingParameter"
    assert bh.error("CreateResource", **BUY, SubnetId="subnet-1234") == "MissingParameter"
    res = bh.call("DescribeResources")["ResourceSet"][0]
    assert res["Nodes"] == 110 and res["PackageNode"] == 2 and res["PackageBandwidth"] == 1


def test_binding_respects_licensed_nodes(bh):
    rid = bh.resource(nodes=10)
    devices = bh.devices(*(f"10.4.0.{i}" for i in range(1, 13)))
    assert bh.error("BindDeviceResource", DeviceIdSet=devices[:11], ResourceId=rid) == "LimitExceeded"
    bh.call("BindDeviceResource", DeviceIdSet=devices[:10], ResourceId=rid)
    bh.call("BindDeviceResource", DeviceIdSet=devices[:3], ResourceId=rid)      # already bound: no change
    assert bh.error("BindDeviceResource", DeviceIdSet=[devices[10]], ResourceId=rid) == "LimitExceeded"
    res = bh.call("DescribeResources", ResourceIds=[rid])["ResourceSet"][0]
    assert res["UsedNodes"] == 10
    bound = bh.call("DescribeDevices", ResourceIdSet=[rid])
    assert bound["TotalCount"] == 10 and bound["DeviceSet"][0]["Resource"]["ResourceId"] == rid
    # moving devices to another resource frees their nodes
    second = bh.resource(nodes=20)
    bh.call("BindDeviceResource", DeviceIdSet=devices[:4], ResourceId=second)
    used = {r["ResourceId"]: r["UsedNodes"] for r in bh.call("DescribeResources")["ResourceSet"]}
    assert used == {rid: 6, second: 4}
    bh.call("BindDeviceResource", DeviceIdSet=devices[10:], ResourceId=rid)
    usage = {u["ProductId"]: u["UsageValue"] for u in bh.raw("DescribeLicenseUsage")["LicenseUsageList"]}
    assert usage == {"sp_cds_dasb_bh_saas": 2, "sv_cds_dasb_bh_saas_node": 12}


def test_bind_errors(bh):
    dev = bh.devices("10.5.0.1")[0]
    assert bh.error("BindDeviceResource", DeviceIdSet=[dev], ResourceId="bh-saas-nothere") == \
        "InvalidParameter.ResourceId"
    rid = bh.resource()
    assert bh.error("BindDeviceResource", DeviceIdSet=[dev, dev + 1], ResourceId=rid) == "ResourceNotFound"
    assert bh.call("DescribeResources")["ResourceSet"][0]["UsedNodes"] == 0
    assert bh.error("BindDeviceResource", DeviceIdSet=[], ResourceId=rid) == "InvalidParameterValue"


def test_modify_and_destroy(bh):
    rid = bh.resource(nodes=20)
    devices = bh.devices(*(f"10.6.0.{i}" for i in range(1, 16)))
    bh.call("BindDeviceResource", DeviceIdSet=devices, ResourceId=rid)
    assert bh.raw_error("ModifyDasbResource", ResourceId=rid, ResourceNode=10) == "InvalidParameter"
    bh.raw("ModifyDasbResource", ResourceId=rid, ResourceNode=10, NodeExp=1, ResourceEdition="pro", MbpExp=2)
    res = bh.call("DescribeResources")["ResourceSet"][0]
    assert res["Nodes"] == 60 and res["PackageBandwidth"] == 2 and res["ModuleSet"] == ["DB"]
    assert '"edition":"pro"' in res["SvArgs"]
    assert bh.raw_error("ModifyDasbResource", ResourceId="bh-saas-missing0", ResourceNode=10) == "ResourceNotFound"
    assert bh.raw_error("ModifyDasbResource", ResourceId=rid, ResourceNode=15) == "InvalidParameterValue"
    bh.raw("DestroyDasbResource", ResourceId=rid)
    assert bh.call("DescribeResources")["TotalCount"] == 0
    assert all(d["Resource"] is None for d in bh.call("DescribeDevices", Limit=100)["DeviceSet"])
    assert bh.raw_error("DestroyDasbResource", ResourceId=rid) == "InvalidParameter"     # its error table
    assert bh.raw_error("DestroyDasbResource") == "MissingParameter"


def test_inquire_price(bh):
    cost = lambda **kw: bh.raw("InquireCreateDasbResource", **{**BUY, **kw})["ProductCost"]  # noqa: E731
    assert cost(TimeSpan=1) == {"TotalCost": 300.0, "RealCost": 300.0}            # 10 nodes x 30
    assert cost(TimeSpan=1, ResourceEdition="pro", NodeExp=1, MbpExp=1) == {"TotalCost": 2780.0, "RealCost": 2780.0}
    yearly = cost(TimeSpan=12, PayMode=1)
    assert yearly["TotalCost"] == 3600.0 and yearly["RealCost"] == 2988.0         # prepaid year: 17% off
    assert cost(TimeSpan=12, PayMode=0)["RealCost"] == 3600.0
    assert bh.raw_error("InquireCreateDasbResource", **{**BUY, "ResourceNode": 7}) == "InvalidParameterValue"
    assert bh.raw_error("InquireCreateDasbResource", **{k: v for k, v in BUY.items() if k != "TimeUnit"}) == \
        "MissingParameter"


def test_license_usage_of_a_new_account(bh):
    usage = bh.raw("DescribeLicenseUsage")["LicenseUsageList"]
    assert all(u["UsageValue"] == 0 for u in usage) and len(usage) == 2


def test_destroying_what_is_not_ones_resource_is_refused_and_changes_nothing(bh, other):
    """DestroyDasbResource's error table: InvalidParameter for a ResourceId that is not the caller's."""
    rid = bh.resource()
    device = bh.devices("10.7.0.1")[0]
    bh.call("BindDeviceResource", DeviceIdSet=[device], ResourceId=rid)
    for bad in ("bh-saas-missing0", "", "vsm-12345678"):
        assert bh.raw_error("DestroyDasbResource", ResourceId=bad) == "InvalidParameter"
    assert other.raw_error("DestroyDasbResource", ResourceId=rid) == "InvalidParameter"
    assert [r["ResourceId"] for r in bh.call("DescribeResources")["ResourceSet"]] == [rid]
    assert bh.call("DescribeDevices")["DeviceSet"][0]["Resource"]["ResourceId"] == rid


def test_describe_resources_refuses_an_unknown_ap_code(bh):
    rid = bh.resource()
    assert bh.error("DescribeResources", ApCode="ap-atlantis") == "InvalidParameterValue"
    assert bh.error("DescribeResources", ApCode="us-east-1") == "InvalidParameterValue"
    assert bh.call("DescribeResources", ApCode="ap-guangzhou")["TotalCount"] == 1
    assert bh.call("DescribeResources", ApCode="ap-beijing")["TotalCount"] == 0
    # with ResourceIds, ApCode is ignored (the seed)
    assert bh.call("DescribeResources", ApCode="ap-atlantis", ResourceIds=[rid])["TotalCount"] == 1
