"""DescribeVpc, DescribeSubnet, DescribeUsg and DescribeUsgRule: views of EC2 (moto), per account."""
from datetime import datetime

from hsm_helpers import Typed, make_network, other_account
from helpers import error_code


def test_vpc_list_reads_names_defaults_and_creation_times(typed, network):
    r = typed.call("DescribeVpc", {"Offset": 0, "Limit": 100, "SearchWord": network.token})
    assert r["TotalCount"] == 1
    assert r["VpcList"] == [{"VpcName": network.vpc_name, "VpcId": network.vpc_id,
                             "CreatedTime": "2024-09-05 15:09:00", "IsDefault": False}]
    everything = typed.call("DescribeVpc", {"Offset": 0, "Limit": 100})
    ids = [v["VpcId"] for v in everything["VpcList"]]
    assert network.vpc_id in ids
    defaults = [v for v in everything["VpcList"] if v["IsDefault"]]
    assert defaults and everything["VpcList"][0]["IsDefault"]        # the region's shared default VPC first


def test_vpc_paging_and_search(ec2, typed, account):
    nets = [make_network(ec2, account["OwnerUin"]) for _ in range(3)]
    mine = {n.vpc_id for n in nets}
    everything = typed.call("DescribeVpc", {"Offset": 0, "Limit": 100})
    pages = [typed.call("DescribeVpc", {"Offset": o, "Limit": 2}) for o in range(0, everything["TotalCount"], 2)]
    paged = [v["VpcId"] for p in pages for v in p["VpcList"]]
    assert paged == [v["VpcId"] for v in everything["VpcList"]] and mine <= set(paged)
    assert all(p["TotalCount"] == everything["TotalCount"] for p in pages)
    assert typed.call("DescribeVpc", {"Offset": 0, "Limit": 10, "SearchWord": nets[1].vpc_id})["VpcList"][0][
        "VpcId"] == nets[1].vpc_id
    assert typed.call("DescribeVpc", {"Offset": 0, "Limit": 10, "SearchWord": "HSM-VPC-" + nets[2].token.upper()})[
        "TotalCount"] == 1
    assert error_code(typed.call, "DescribeVpc", {"Offset": 0, "Limit": 0}) == "InvalidParameter"
    assert error_code(typed.call, "DescribeVpc", {"Offset": -1, "Limit": 10}) == "InvalidParameter"
    assert error_code(typed.call, "DescribeVpc", {"Limit": 10}) == "MissingParameter"


def test_subnets_carry_cidrs_counts_and_zones(ec2, typed, network):
    r = typed.call("DescribeSubnet", {"Offset": 0, "Limit": 10, "VpcId": network.vpc_id})
    assert r["TotalCount"] == 2
    a = next(s for s in r["SubnetList"] if s["SubnetId"] == network.subnet_a)
    assert a["VpcId"] == network.vpc_id and a["SubnetName"] == f"hsm-a-{network.token}"
    assert a["CidrBlock"] == f"{network.prefix}.1.0/28"
    assert a["TotalIpAddressCount"] == 11 and a["AvailableIpAddressCount"] == 11
    assert a["IsDefault"] is False and _beijing_time(a["CreatedTime"])    # stamped when first listed
    b = next(s for s in r["SubnetList"] if s["SubnetId"] == network.subnet_b)
    assert b["TotalIpAddressCount"] == 251
    # An interface in the subnet and a VSM each take one address.
    ec2.create_network_interface(SubnetId=network.subnet_a, PrivateIpAddress=f"{network.prefix}.1.4")
    assert typed.call("DescribeSubnet", {"Offset": 0, "Limit": 10, "VpcId": network.vpc_id,
                                         "SearchWord": f"hsm-a-{network.token}"})["SubnetList"][0][
        "AvailableIpAddressCount"] == 10
    one = typed.call("DescribeSubnet", {"Offset": 1, "Limit": 1, "VpcId": network.vpc_id})
    assert one["TotalCount"] == 2 and len(one["SubnetList"]) == 1


def test_subnet_ipv6_cidr_comes_from_the_network(ec2, typed, network):
    vpc = ec2.describe_vpcs(VpcIds=[network.vpc_id])["Vpcs"][0]
    block = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    v6 = block.replace("::/56", "::/64")
    ec2.associate_subnet_cidr_block(SubnetId=network.subnet_b, Ipv6CidrBlock=v6)
    r = typed.call("DescribeSubnet", {"Offset": 0, "Limit": 10, "VpcId": network.vpc_id})
    got = {s["SubnetId"]: s["Ipv6CidrBlock"] for s in r["SubnetList"]}
    assert got == {network.subnet_b: v6, network.subnet_a: ""}


def _beijing_time(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def test_subnet_of_unknown_vpc_is_resource_not_found(typed):
    assert error_code(typed.call, "DescribeSubnet", {"Offset": 0, "Limit": 10, "VpcId": "vpc-nothere1"}) == \
        "ResourceNotFound"


def test_security_groups_list_and_rules(typed, network):
    r = typed.call("DescribeUsg", {"Offset": 0, "Limit": 10, "SearchWord": network.sg_id})
    assert r["TotalCount"] == 1
    created = r["SgList"][0].pop("CreateTime")
    assert r["SgList"] == [{"SgId": network.sg_id, "SgName": network.sg_name, "SgRemark": "VSM access"}]
    assert _beijing_time(created)
    rules = typed.call("DescribeUsgRule", {"SgIds": [network.sg_id]})
    assert rules["TotalCount"] == 1
    detail = rules["SgRules"][0]
    assert detail["SgId"] == network.sg_id and detail["SgName"] == network.sg_name
    assert detail["CreateTime"] == created and detail["Version"] == 1
    inbound = sorted(detail["InBound"], key=lambda p: p["Port"])
    assert inbound[0] == {"Ip": "", "Id": network.sg_id, "AddressModule": "", "Proto": "TCP",
                          "Port": "1000-2000", "ServiceModule": "", "Desc": "", "Action": "ACCEPT"}
    assert inbound[1] == {"Ip": f"{network.prefix}.0.0/16", "Id": "", "AddressModule": "", "Proto": "TCP",
                          "Port": "8013", "ServiceModule": "", "Desc": "VsmManager", "Action": "ACCEPT"}
    assert {(p["Ip"], p["Proto"], p["Port"]) for p in detail["OutBound"]} >= {("0.0.0.0/0", "ALL", "ALL")}


def test_usg_rule_version_counts_rule_changes(ec2, typed, network):
    def version():
        return typed.call("DescribeUsgRule", {"SgIds": [network.sg_id]})["SgRules"][0]["Version"]
    before = version()
    assert version() == before                      # reading does not change it
    rule = [{"IpProtocol": "tcp", "FromPort": 9443, "ToPort": 9443, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}]
    ec2.authorize_security_group_ingress(GroupId=network.sg_id, IpPermissions=rule)
    assert version() == before + 1
    ec2.revoke_security_group_ingress(GroupId=network.sg_id, IpPermissions=rule)
    assert version() == before + 2 and version() == before + 2


def test_usg_offset_and_limit_zero_return_every_group(ec2, typed, network):
    everything = typed.call("DescribeUsg", {"Offset": 0, "Limit": 0})
    assert everything["TotalCount"] == len(everything["SgList"]) >= 2     # ours and its VPC's default group
    assert network.sg_id in {g["SgId"] for g in everything["SgList"]}
    first = typed.call("DescribeUsg", {"Offset": 0, "Limit": 1})
    assert len(first["SgList"]) == 1 and first["TotalCount"] == everything["TotalCount"]
    assert error_code(typed.call, "DescribeUsg", {"Offset": 1, "Limit": 0}) == "InvalidParameter"


def test_usg_rule_errors(typed, network):
    assert error_code(typed.call, "DescribeUsgRule", {"SgIds": [network.sg_id, "sg-nothere1"]}) == \
        "ResourceNotFound"
    assert error_code(typed.call, "DescribeUsgRule", {"SgIds": []}) == "InvalidParameter"
    assert error_code(typed.call, "DescribeUsgRule", {}) == "MissingParameter"


def test_another_accounts_network_is_invisible(stack, ec2, typed, network):
    stranger = Typed(stack.endpoint, other_account())
    assert stranger.call("DescribeVpc", {"Offset": 0, "Limit": 100, "SearchWord": network.token})["TotalCount"] == 0
    assert network.vpc_id not in {v["VpcId"] for v in
                                  stranger.call("DescribeVpc", {"Offset": 0, "Limit": 100})["VpcList"]}
    assert error_code(stranger.call, "DescribeSubnet", {"Offset": 0, "Limit": 10, "VpcId": network.vpc_id}) == \
        "ResourceNotFound"
    assert network.sg_id not in {g["SgId"] for g in stranger.call("DescribeUsg", {"Offset": 0, "Limit": 0})["SgList"]}
    assert error_code(stranger.call, "DescribeUsgRule", {"SgIds": [network.sg_id]}) == "ResourceNotFound"
    # Untagged groups in an owned VPC belong to the VPC's owner too: the default group of ours.
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [network.vpc_id]},
                                                       {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"][0]["GroupId"]
    assert typed.call("DescribeUsgRule", {"SgIds": [default_sg]})["TotalCount"] == 1
    assert error_code(stranger.call, "DescribeUsgRule", {"SgIds": [default_sg]}) == "ResourceNotFound"


def test_networks_are_regional(stack, account, network):
    shanghai = Typed(stack.endpoint, account, "ap-shanghai")
    assert network.vpc_id not in {v["VpcId"] for v in
                                  shanghai.call("DescribeVpc", {"Offset": 0, "Limit": 100})["VpcList"]}
