"""Bastion resources (purchased service instances): the parameters CreateResource and
InquireCreateDasbResource share, and their placement in one of the caller's VPCs (ownership as
layers/network.py decides it for every service)."""
import re
import secrets as random_source
import string
from typing import Annotated, Literal, Optional

from pydantic import Field

from layers import network, regions
from layers.bastion import billing, fields
from layers.gateway.errors import ApiError, invalid_value, missing
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


def check_placement(p: Purchase, account: str) -> dict:
    """Checks region, zone and network; returns the names and CIDR blocks of the VPC and subnet."""
    if not regions.is_known(p.DeployRegion):
        raise invalid_value("DeployRegion", f"unknown region `{p.DeployRegion}`")
    match = _ZONE.fullmatch(p.DeployZone)
    if not match or match.group("region") != p.DeployRegion:
        raise invalid_value("DeployZone", f"must be a zone of {p.DeployRegion}, e.g. {p.DeployRegion}-1")
    if p.SubnetId and not p.VpcId:
        raise missing("VpcId")
    details = {"VpcName": "", "VpcCidrBlock": "", "SubnetName": "", "CidrBlock": ""}
    if not p.VpcId:
        return details
    vpc, subnet = network.placement(p.DeployRegion, account, p.VpcId, p.SubnetId or "")
    details.update(VpcName=vpc.name, VpcCidrBlock=vpc.cidr)
    if subnet is not None:
        details.update(SubnetName=subnet.name, CidrBlock=subnet.cidr)
    return details


def new_resource_id() -> str:
    return "bh-saas-" + "".join(random_source.choice(_ALNUM) for _ in range(8))


# ---- DeployResource / ModifyResource ----

def check_deployment(account: str, rec: dict, ap_code: str, zone: str, vpc_id: str, subnet_id: str,
                     cidr_block: str = "", vpc_cidr_block: str = "") -> dict:
    """Where DeployResource opens a resource's service: the resource's own region, a zone of it,
    and one of the caller's VPCs with one of its subnets. CIDR blocks the caller states must be
    the network's own. Returns the fields the resource takes."""
    if ap_code != rec["ApCode"]:
        raise invalid_value("ApCode", f"resource {rec['ResourceId']} was bought in {rec['ApCode']}")
    match = _ZONE.fullmatch(zone)
    if not match or match.group("region") != ap_code:
        raise invalid_value("Zone", f"must be a zone of {ap_code}, e.g. {ap_code}-1")
    vpc, subnet = network.placement(ap_code, account, vpc_id, subnet_id)
    for name, stated, actual in (("CidrBlock", cidr_block, subnet.cidr), ("VpcCidrBlock", vpc_cidr_block, vpc.cidr)):
        if stated and stated.strip() != actual:
            raise invalid_value(name, f"{stated} is not the network's block ({actual})")
    return {"Zone": zone, "VpcId": vpc_id, "SubnetId": subnet_id, "VpcName": vpc.name, "VpcCidrBlock": vpc.cidr,
            "SubnetName": subnet.name, "CidrBlock": subnet.cidr}


def apply_changes(rec: dict, changes: dict) -> None:
    """Set the given (not None) fields of a resource record; refuse fewer licensed nodes than
    the assets bound to it (InvalidParameter), as ModifyDasbResource and ModifyResource do."""
    for name, value in changes.items():
        if value is not None:
            rec[name] = value
    if billing.nodes(rec) < rec.get("UsedNodes", 0):
        raise ApiError("InvalidParameter", f"Resource {rec['ResourceId']} has {rec['UsedNodes']} assets bound; "
                       f"{billing.nodes(rec)} nodes are too few.")
