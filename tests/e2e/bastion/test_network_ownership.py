"""CreateResource and InquireCreateDasbResource place a resource only in a VPC and subnet the caller
sees; another account's network answers exactly as one that does not exist."""
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from network_helpers import own_network

BUY = {"ResourceEdition": "standard", "ResourceNode": 10, "TimeUnit": "m", "TimeSpan": 1,
       "DeployRegion": "ap-guangzhou", "DeployZone": "ap-guangzhou-3"}
ACTIONS = ["CreateResource", "InquireCreateDasbResource"]
NO_VPC, NO_SUBNET = "vpc-nothere9", "subnet-nothere9"


def failure(client, action: str, **params) -> tuple:
    try:
        client.call(action, **{**BUY, **params})
    except TencentCloudSDKException as exc:
        return exc.code, exc.message
    raise AssertionError(f"{action} succeeded")


def test_own_network_is_recorded_with_its_names(bh):
    net = own_network(bh.acct["OwnerUin"], "10.31")
    assert bh.call("InquireCreateDasbResource", **BUY, VpcId=net.vpc_id, SubnetId=net.subnet_id)["ProductCost"]
    rid = bh.call("CreateResource", **BUY, VpcId=net.vpc_id, SubnetId=net.subnet_id)["ResourceId"]
    res = bh.call("DescribeResources", ResourceIds=[rid])["ResourceSet"][0]
    assert (res["VpcId"], res["VpcName"], res["VpcCidrBlock"]) == (net.vpc_id, net.vpc_name, net.vpc_cidr)
    assert (res["SubnetId"], res["SubnetName"], res["CidrBlock"]) == (net.subnet_id, net.subnet_name, net.subnet_cidr)


def test_own_subnet_of_another_own_vpc_is_refused(bh):
    first, second = own_network(bh.acct["OwnerUin"], "10.32"), own_network(bh.acct["OwnerUin"], "10.33")
    for action in ACTIONS:
        code, _ = failure(bh, action, VpcId=first.vpc_id, SubnetId=second.subnet_id)
        assert code == "InvalidParameterValue", action
    assert bh.call("DescribeResources")["TotalCount"] == 0


@pytest.mark.parametrize("action", ACTIONS)
def test_another_accounts_network_is_as_unknown_as_a_missing_one(bh, other, action):
    theirs, mine = own_network(bh.acct["OwnerUin"], "10.34"), own_network(other.acct["OwnerUin"], "10.35")
    # (the other account's request, the same request naming ids that do not exist)
    cases = [
        ({"VpcId": theirs.vpc_id}, {"VpcId": NO_VPC}),
        ({"VpcId": theirs.vpc_id, "SubnetId": theirs.subnet_id}, {"VpcId": NO_VPC, "SubnetId": NO_SUBNET}),
        ({"VpcId": theirs.vpc_id, "SubnetId": mine.subnet_id}, {"VpcId": NO_VPC, "SubnetId": mine.subnet_id}),
        ({"VpcId": mine.vpc_id, "SubnetId": theirs.subnet_id}, {"VpcId": mine.vpc_id, "SubnetId": NO_SUBNET}),
    ]
    for foreign, missing in cases:
        code, message = failure(other, action, **foreign)
        assert code == "ResourceNotFound", foreign
        unknown = failure(other, action, **missing)
        anonymised = message.replace(theirs.vpc_id, NO_VPC).replace(theirs.subnet_id, NO_SUBNET)
        assert (code, anonymised) == unknown, foreign
        for secret in (theirs.vpc_name, theirs.vpc_cidr, theirs.subnet_name, theirs.subnet_cidr):
            assert secret not in message, foreign
    assert other.call("DescribeResources")["TotalCount"] == 0
    # the owner still places its service there
    bh.call("CreateResource", **BUY, VpcId=theirs.vpc_id, SubnetId=theirs.subnet_id)
