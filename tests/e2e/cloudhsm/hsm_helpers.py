"""CloudHSM test helpers: typed and common SDK clients called with dicts, fresh networks in EC2 (moto).

Each network is a new VPC tagged with the test account as its owner, so tests see their own
VPCs plus the region's shared (untagged) ones, and never another test's."""
import json
import uuid
from dataclasses import dataclass
from typing import Dict

from tencentcloud.cloudhsm.v20191112 import cloudhsm_client, models

from helpers import common_client, credential_of, profile

REGION = "ap-guangzhou"
ZONE_A, ZONE_B = 100003, 100004          # ap-guangzhou-3 / -4, backed by us-east-1a / -1b
OWNER_TAG, CREATED_TAG = "guardzone:OwnerUin", "guardzone:CreatedTime"


class Typed:
    """The typed CloudhsmClient, called with plain dicts: .call("DescribeVsms", {...}) -> dict."""

    def __init__(self, endpoint: str, acct: dict, region: str = REGION) -> None:
        self.client = cloudhsm_client.CloudhsmClient(credential_of(acct), region, profile(endpoint))

    def call(self, action: str, params: dict) -> dict:
        request = getattr(models, f"{action}Request")()
        request.from_json_string(json.dumps(params))
        return json.loads(getattr(self.client, action)(request).to_json_string())


class Common:
    """The CommonClient, for the actions the typed client lacks."""

    def __init__(self, endpoint: str, acct: dict, region: str = REGION) -> None:
        self.client = common_client(endpoint, acct, "cloudhsm", "2019-11-12", region=region)

    def call(self, action: str, params: dict) -> dict:
        return self.client.call_json(action, params)["Response"]


def other_account(rate_limit: int = 0) -> dict:
    from layers import identity
    a = identity.create_account("other", rate_limit=rate_limit)
    return {**a, **identity.create_key(a["OwnerUin"])}


@dataclass
class Network:
    vpc_id: str
    vpc_name: str
    subnet_a: str          # 10.x.1.0/28 in ZONE_A: 11 usable addresses, .4 to .14
    subnet_b: str          # 10.x.2.0/24 in ZONE_B
    sg_id: str
    sg_name: str
    token: str
    prefix: str            # "10.x"


def make_network(ec2, owner: str, created: str = "2024-09-05T15:09:00+08:00") -> Network:
    token = uuid.uuid4().hex[:8]
    second = int(token[:2], 16) % 200 + 20
    prefix = f"10.{second}"

    def tags(kind, name, extra=()):
        return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}, {"Key": OWNER_TAG, "Value": owner},
                                                *extra]}]

    vpc = ec2.create_vpc(CidrBlock=f"{prefix}.0.0/16", AmazonProvidedIpv6CidrBlock=True,
                         TagSpecifications=tags("vpc", f"hsm-vpc-{token}",
                                                [{"Key": CREATED_TAG, "Value": created}]))["Vpc"]
    a = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock=f"{prefix}.1.0/28", AvailabilityZone="us-east-1a",
                          TagSpecifications=tags("subnet", f"hsm-a-{token}"))["Subnet"]
    b = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock=f"{prefix}.2.0/24", AvailabilityZone="us-east-1b",
                          TagSpecifications=tags("subnet", f"hsm-b-{token}"))["Subnet"]
    sg = ec2.create_security_group(GroupName=f"hsm-sg-{token}", Description="VSM access", VpcId=vpc["VpcId"])
    ec2.authorize_security_group_ingress(GroupId=sg["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8013, "ToPort": 8013,
         "IpRanges": [{"CidrIp": f"{prefix}.0.0/16", "Description": "VsmManager"}]},
        {"IpProtocol": "tcp", "FromPort": 1000, "ToPort": 2000, "UserIdGroupPairs": [{"GroupId": sg["GroupId"]}]}])
    return Network(vpc["VpcId"], f"hsm-vpc-{token}", a["SubnetId"], b["SubnetId"], sg["GroupId"],
                   f"hsm-sg-{token}", token, prefix)


def create_vsm(common: Common, net: Network, *, n: int = 1, subnet: str = "", zone: int = ZONE_A,
               vsm_type: int = 33, pay_mode: int = 1, tags=None) -> Dict:
    params = {"PayMode": pay_mode, "GoodsNum": n, "VsmType": vsm_type, "VpcId": net.vpc_id,
              "SubnetId": subnet or net.subnet_a, "ZoneId": zone}
    if tags is not None:
        params["Tags"] = tags
    return common.call("CreateResource", params)
