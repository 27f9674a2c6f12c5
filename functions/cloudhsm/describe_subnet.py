"""DescribeSubnet: the subnets of one of the caller's VPCs, read from the cloud's network API.

AvailableIpAddressCount is what the network reports minus the addresses VSMs hold there."""
from typing import Annotated, Optional

from pydantic import Field

from layers import network
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import not_found
from layers.gateway.schema import Int64, String
from layers.stores import vsm as store


class Input(HsmParams):
    Limit: Annotated[Int64, Field(ge=1, le=100)]
    Offset: Annotated[Int64, Field(ge=0)]
    VpcId: String
    SearchWord: Optional[String] = None


@hsm_action("DescribeSubnet", Input)
def handle(p: Input, ctx: RequestContext) -> dict:
    vpc = network.vpc(ctx.region, ctx.account, p.VpcId)
    if vpc is None:
        raise not_found("VPC", p.VpcId)
    found = network.subnets(ctx.region, ctx.account, vpc, p.SearchWord)
    page = found[p.Offset:p.Offset + p.Limit]
    return {"TotalCount": len(found), "SubnetList": [_subnet(s) for s in page]}


def _subnet(s: network.Subnet) -> dict:
    held = len(store.leased_addresses(s.subnet_id))
    return {"VpcId": s.vpc_id, "SubnetId": s.subnet_id, "SubnetName": s.name, "CidrBlock": s.cidr,
            "CreatedTime": s.created, "AvailableIpAddressCount": max(s.available_ips - held, 0),
            "Ipv6CidrBlock": s.ipv6_cidr or "", "TotalIpAddressCount": s.total_ips, "IsDefault": s.is_default}
