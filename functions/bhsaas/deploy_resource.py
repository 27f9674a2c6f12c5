"""DeployResource: open the service of a bought, not yet deployed resource in one of the caller's
VPCs and subnets ("开通服务，只针对新购资源").

The VPC and subnet must be ones the caller sees (layers/network.py: another account's are
ResourceNotFound, as ones that do not exist); the subnet must be in the VPC. ApCode must be the
region the resource was bought in and Zone one of its zones. CidrBlock and VpcCidrBlock, when
sent, must be the network's own blocks (InvalidParameterValue otherwise); VpcName and SubnetName
are taken from the network itself, so what is sent for them is not used. CdcClusterId: no CDC
clusters exist here, so "" is accepted and any id is ResourceNotFound.

A ResourceId that is not one of the caller's resources, or an expired one, is
InvalidParameter.ResourceId; one already deployed is FailedOperation; a VPC that already has a
bastion service of the account is FailedOperation.VPCDeployed (as in CreateResource). Afterwards
the resource is Deployed, Status 1, with the VPC's and subnet's ids, names and blocks and the zone,
and it has its default network domain (DescribeDomains)."""
from typing import Annotated, Optional

from pydantic import Field

from layers.bastion import billing, cascade, resources, store, times
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError, not_found
from layers.gateway.schema import Params, String


class Input(Params):
    ResourceId: String
    ApCode: String
    Zone: String
    VpcId: Annotated[String, Field(pattern=r"^vpc-[0-9a-zA-Z]{1,64}$")]
    SubnetId: Annotated[String, Field(pattern=r"^subnet-[0-9a-zA-Z]{1,64}$")]
    CidrBlock: Optional[String] = None
    VpcName: Optional[String] = None
    VpcCidrBlock: Optional[String] = None
    SubnetName: Optional[String] = None
    CdcClusterId: Optional[String] = None


def _usable(rec: Optional[dict], rid: str) -> dict:
    if rec is None or billing.expired(rec):
        raise ApiError("InvalidParameter.ResourceId", f"Resource `{rid}` does not exist or has expired.")
    return rec


@action("DeployResource", Input, region=REGION_IGNORED, resource_type="resource")
def handle(p: Input, ctx: RequestContext) -> dict:
    if p.CdcClusterId:
        raise not_found("CDC cluster", p.CdcClusterId)
    # Checked before the transaction (the network is read from EC2), and again inside it.
    found = _usable(_resource(ctx.account, p.ResourceId), p.ResourceId)
    placement = resources.check_deployment(ctx.account, found, p.ApCode, p.Zone, p.VpcId, p.SubnetId,
                                           p.CidrBlock or "", p.VpcCidrBlock or "")

    def write(tx: store.Tx) -> None:
        every = cascade.resources_by_rid(tx)
        rec = _usable(every.get(p.ResourceId), p.ResourceId)
        if rec.get("VpcId"):
            raise ApiError("FailedOperation", f"Resource {p.ResourceId} is already deployed in {rec['VpcId']}.")
        if any(r.get("VpcId") == p.VpcId for r in every.values()):
            raise ApiError("FailedOperation.VPCDeployed", f"VPC {p.VpcId} already has a bastion service; "
                           "choose another VPC.")
        rec.update(placement, DeployTime=times.iso_now())
        tx.put("resource", rec)

    store.transaction(ctx.account, write)
    ctx.touched(p.ResourceId)
    return {}


def _resource(account: str, rid: str) -> Optional[dict]:
    return next((r for r in store.load_all(account, "resource").values() if r["ResourceId"] == rid), None)
