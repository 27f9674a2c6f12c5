"""DeployResource, ModifyResource, DescribeDomains and DescribeDasbImageIds through the typed DasbClient."""
from network_helpers import own_network


def _bought(bh) -> str:
    return bh.resource(nodes=20)


def _res(bh, rid) -> dict:
    return bh.call("DescribeResources", ResourceIds=[rid])["ResourceSet"][0]


def test_deploy_opens_the_service_in_the_callers_subnet(bh):
    net = own_network(bh.acct["OwnerUin"], "10.31")
    rid = _bought(bh)
    assert bh.call("DescribeDomains")["DomainSet"] == []            # nothing deployed: no domain
    before = _res(bh, rid)
    assert before["Deployed"] is False and before["Status"] == 0
    bh.call("DeployResource", ResourceId=rid, ApCode="ap-guangzhou", Zone="ap-guangzhou-4", VpcId=net.vpc_id,
            SubnetId=net.subnet_id, CidrBlock=net.subnet_cidr, VpcCidrBlock=net.vpc_cidr,
            VpcName="what-the-caller-calls-it", SubnetName="ignored")
    res = _res(bh, rid)
    assert res["Deployed"] is True and res["Status"] == 1 and res["Zone"] == "ap-guangzhou-4"
    assert (res["VpcId"], res["VpcName"], res["VpcCidrBlock"]) == (net.vpc_id, net.vpc_name, net.vpc_cidr)
    assert (res["SubnetId"], res["SubnetName"], res["CidrBlock"]) == (net.subnet_id, net.subnet_name, net.subnet_cidr)
    # its default network domain
    (dom,) = bh.call("DescribeDomains")["DomainSet"]
    assert dom["DomainId"] == "net-" + rid[len("bh-saas-"):] and dom["ResourceId"] == rid
    assert dom["Default"] == 1 and dom["Status"] == 1 and dom["Enabled"] == 1 and dom["WhiteIpSet"] == [net.vpc_cidr]
    # only once, and a VPC hosts one service
    assert bh.error("DeployResource", ResourceId=rid, ApCode="ap-guangzhou", Zone="ap-guangzhou-4",
                    VpcId=net.vpc_id, SubnetId=net.subnet_id) == "FailedOperation"
    second = _bought(bh)
    assert bh.error("DeployResource", ResourceId=second, ApCode="ap-guangzhou", Zone="ap-guangzhou-3",
                    VpcId=net.vpc_id, SubnetId=net.subnet_id) == "FailedOperation.VPCDeployed"
    assert _res(bh, second)["Deployed"] is False


def test_deploy_refuses_what_is_not_the_callers_or_does_not_fit(bh, other):
    mine, theirs = own_network(bh.acct["OwnerUin"], "10.32"), own_network(other.acct["OwnerUin"], "10.33")
    rid = _bought(bh)
    ok = dict(ResourceId=rid, ApCode="ap-guangzhou", Zone="ap-guangzhou-3", VpcId=mine.vpc_id, SubnetId=mine.subnet_id)
    assert bh.error("DeployResource", **{**ok, "VpcId": theirs.vpc_id, "SubnetId": theirs.subnet_id}) == \
        "ResourceNotFound"
    assert bh.error("DeployResource", **{**ok, "SubnetId": theirs.subnet_id}) == "ResourceNotFound"
    assert bh.error("DeployResource", **{**ok, "SubnetId": "subnet-nothere1"}) == "ResourceNotFound"
    other_net = own_network(bh.acct["OwnerUin"], "10.34")
    assert bh.error("DeployResource", **{**ok, "SubnetId": other_net.subnet_id}) == "InvalidParameterValue"
    assert bh.error("DeployResource", **{**ok, "ApCode": "ap-shanghai", "Zone": "ap-shanghai-2"}) == \
        "InvalidParameterValue"
    assert bh.error("DeployResource", **{**ok, "Zone": "ap-beijing-1"}) == "InvalidParameterValue"
    assert bh.error("DeployResource", **ok, CidrBlock="10.99.0.0/24") == "InvalidParameterValue"
    assert bh.error("DeployResource", **ok, CdcClusterId="cluster-1234") == "ResourceNotFound"
    assert bh.error("DeployResource", **{**ok, "ResourceId": "bh-saas-nothere0"}) == "InvalidParameter.ResourceId"
    assert other.error("DeployResource", **{**ok, "VpcId": theirs.vpc_id, "SubnetId": theirs.subnet_id}) == \
        "InvalidParameter.ResourceId"                                # someone else's resource
    assert bh.error("DeployResource", **{k: v for k, v in ok.items() if k != "SubnetId"}) == "MissingParameter"
    assert _res(bh, rid)["Deployed"] is False                        # nothing was written
    bh.call("DeployResource", **ok)
    assert _res(bh, rid)["VpcId"] == mine.vpc_id


def test_modify_resource(bh):
    rid = _bought(bh)
    devices = bh.devices(*(f"10.35.0.{i}" for i in range(1, 16)))
    bh.call("BindDeviceResource", DeviceIdSet=devices, ResourceId=rid)
    bh.call("ModifyResource", ResourceId=rid, ResourceEdition="pro", AutoRenewFlag=1, PackageBandwidth=2,
            PackageNode=1, LogDelivery=1, Status="deprecated", ModuleSet=["DB"])
    res = _res(bh, rid)
    assert res["ModuleSet"] == ["DB"] and res["RenewFlag"] == 1 and res["PackageBandwidth"] == 2
    assert res["PackageNode"] == 1 and res["Nodes"] == 70 and res["LogDelivery"] == "1" and res["Status"] == 0
    bh.call("ModifyResource", ResourceId=rid, ResourceNode=10)       # 10 + 50 from the pack still hold 15
    assert _res(bh, rid)["Nodes"] == 60
    assert bh.error("ModifyResource", ResourceId=rid, PackageNode=0) == "InvalidParameter"
    assert bh.error("ModifyResource", ResourceId=rid, ResourceNode=15) == "InvalidParameterValue"
    assert bh.error("ModifyResource", ResourceId=rid, ResourceEdition="gold") == "InvalidParameterValue"
    assert bh.error("ModifyResource", ResourceId=rid, AutoRenewFlag=3) == "InvalidParameterValue"
    assert bh.error("ModifyResource", ResourceId="bh-saas-nothere0", AutoRenewFlag=1) == "ResourceNotFound"
    res = _res(bh, rid)
    assert res["PackageNode"] == 1 and res["ModuleSet"] == ["DB"]


def test_modify_resource_of_another_account_is_not_found(bh, other):
    rid = _bought(bh)
    assert other.error("ModifyResource", ResourceId=rid, AutoRenewFlag=2) == "ResourceNotFound"
    assert _res(bh, rid)["RenewFlag"] == 0


def test_domains_named_by_devices_filters_and_paging(bh, other):
    net = own_network(bh.acct["OwnerUin"], "10.36")
    rid = _bought(bh)
    bh.call("DeployResource", ResourceId=rid, ApCode="ap-guangzhou", Zone="ap-guangzhou-3", VpcId=net.vpc_id,
            SubnetId=net.subnet_id)
    a, b, c = bh.devices("10.36.1.10", "192.168.5.1", "10.36.1.11")
    default_id = "net-" + rid[len("bh-saas-"):]
    bh.call("BindDeviceResource", DeviceIdSet=[a, c], ResourceId=rid, DomainId=default_id)
    bh.call("ModifyDevice", Id=b, DomainId="net-office")
    found = bh.call("DescribeDomains")
    assert found["TotalCount"] == 2
    named = found["DomainSet"][1]
    assert (named["DomainId"], named["Default"], named["Status"], named["WhiteIpSet"]) == \
        ("net-office", 0, 0, ["192.168.5.1"])
    by = lambda name, *values: [d["DomainId"] for d in bh.call(  # noqa: E731
        "DescribeDomains", Filters=[{"Name": name, "Values": list(values)}])["DomainSet"]]
    assert by("Ip", "10.36.200.7") == [default_id] and by("Ip", "192.168.5.1") == ["net-office"]
    assert by("Default", "0") == ["net-office"] and by("Status", "1") == [default_id]
    assert by("DomainName", "默认") == [default_id] and by("ResourceId", rid) == [default_id]
    assert by("DomainId", "net-office", default_id) == [default_id, "net-office"]
    page = bh.call("DescribeDomains", Offset=1, Limit=1)
    assert page["TotalCount"] == 2 and [d["DomainId"] for d in page["DomainSet"]] == ["net-office"]
    assert bh.error("DescribeDomains", Filters=[{"Name": "Colour", "Values": ["red"]}]) == "InvalidParameterValue"
    assert bh.error("DescribeDomains", Limit=501) == "InvalidParameterValue"
    assert other.call("DescribeDomains")["TotalCount"] == 0            # another account sees none of it


def test_image_ids(bh):
    got = bh.call("DescribeDasbImageIds")
    assert got["BaseImageId"].startswith("img-") and got["AiImageId"].startswith("img-")
    assert got["BaseImageId"] != got["AiImageId"]
