"""Bastion resources (purchased service instances): the parameters CreateResource and
InquireCreateDasbResource share, and the VPC details taken from the cloud inventory."""
import re
import secrets as random_source
import string
from typing import Annotated, Literal, Optional

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Field

from layers import aws, regions
from layers.bastion import billing, fields
from layers.gateway.errors import invalid_value, missing
from layers.gateway.schema import Params, String, Uint64

_ZONE = re.compile(r"^(?P<region>[a-z]+(-[a-z]+)+)-[0-9]+$")
_ALNUM = string.ascii_lowercase + string.digits

Edition = Literal["standard", "pro"]
NodeCount = fields.choice(*billing.NODE_CHOICES)
Pack = Annotated[Uint64, Field(le=1000)]
Months = Annotated[Uint64, Field(ge=1, le=120)]
Isp = Literal["", "CMCC", "CTCC", "CUCC", "BGP"]


class Purchase(Params):
    VpcId: Optional[Annotated[String, Field(pattern=r"^(vpc-[0-9a-zA-Z]{1,64})?$")]] = None
    SubnetId: Optional[Annotated[String, Field(pattern=r"^(subnet-[0-9a-zA-Z]{1,64})?$")]] = None
    LbVipIsp: Isp = ""
    ResourceEdition: Edition
    ResourceNode: NodeCount
    MbpExp: Pack = 0
    NodeExp: Pack = 0
    TimeUnit: Literal["m"]
    TimeSpan: Months
    PayMode: fields.choice(0, 1) = 0
    DeployRegion: String
    DeployZone: String


def check_placement(p: Purchase) -> None:
    if not regions.is_known(p.DeployRegion):
        raise invalid_value("DeployRegion", f"unknown region `{p.DeployRegion}`")
    match = _ZONE.fullmatch(p.DeployZone)
    if not match or match.group("region") != p.DeployRegion:
        raise invalid_value("DeployZone", f"must be a zone of {p.DeployRegion}, e.g. {p.DeployRegion}-1")
    if p.SubnetId and not p.VpcId:
        raise missing("VpcId")


def new_resource_id() -> str:
    return "bh-saas-" + "".join(random_source.choice(_ALNUM) for _ in range(8))


def _name(tags) -> str:
    return next((t["Value"] for t in tags or () if t["Key"] == "Name"), "")


def network_details(region: str, vpc_id: str, subnet_id: str) -> dict:
    """Names and CIDR blocks of the VPC and subnet where the cloud inventory knows them; a VPC the
    inventory cannot see (another cloud account) is accepted as given."""
    details = {"VpcName": "", "VpcCidrBlock": "", "SubnetName": "", "CidrBlock": ""}
    if not vpc_id:
        return details
    ec2 = aws.client("ec2", region)
    try:
        vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
        details.update(VpcName=_name(vpc.get("Tags")), VpcCidrBlock=vpc.get("CidrBlock", ""))
    except (ClientError, BotoCoreError, IndexError):
        return details
    if subnet_id:
        try:
            subnet = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
        except (ClientError, BotoCoreError, IndexError):
            return details
        if subnet.get("VpcId") != vpc_id:
            raise invalid_value("SubnetId", f"subnet {subnet_id} is not in {vpc_id}")
        details.update(SubnetName=_name(subnet.get("Tags")), CidrBlock=subnet.get("CidrBlock", ""))
    return details
