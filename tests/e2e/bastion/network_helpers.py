"""Tenant networks in EC2 (moto) for the bastion tests: a VPC and one subnet tagged with their owner."""
import uuid
from dataclasses import dataclass

from layers import aws

REGION = "ap-guangzhou"
OWNER_TAG = "guardzone:OwnerUin"


@dataclass
class Network:
    vpc_id: str
    vpc_name: str
    vpc_cidr: str
    subnet_id: str
    subnet_name: str
    subnet_cidr: str


def own_network(owner: str, prefix: str = "10.8") -> Network:
    token = uuid.uuid4().hex[:8]
    ec2 = aws.client("ec2", REGION)

    def tags(kind, name):
        return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}, {"Key": OWNER_TAG, "Value": owner}]}]

    vpc_name, subnet_name = f"bastion-vpc-{token}", f"bastion-subnet-{token}"
    vpc_cidr, subnet_cidr = f"{prefix}.0.0/16", f"{prefix}.1.0/24"
    vpc = ec2.create_vpc(CidrBlock=vpc_cidr, TagSpecifications=tags("vpc", vpc_name))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=subnet_cidr,
                               TagSpecifications=tags("subnet", subnet_name))["Subnet"]["SubnetId"]
    return Network(vpc, vpc_name, vpc_cidr, subnet, subnet_name, subnet_cidr)
