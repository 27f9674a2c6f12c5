"""ModifyVsmAttributes: rename a VSM, set its security groups, or move it to another subnet.

Type lists what to change: UpdateResourceName (ResourceName), UpdateSgIds (SgIds; an empty list
clears them), UpdateNetWork (VpcId and SubnetId: a new address in the new subnet, the old one
released), Default (nothing). Parameters whose Type is not listed are ignored. A VSM stays in its
zone. Security groups belong to one VPC: moving to another VPC without UpdateSgIds clears them.

AlarmStatus (0 off, 1 on), when given, is applied whatever Type lists: it is not one of Type's
values in the SDK. With 0 the account's alarm policies (ModifyAlarmEvent) stop watching the VSM."""
from typing import Literal, Optional

from pydantic import Field

from layers import network
from layers.cloudhsm import catalog, vsms
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError, invalid_value, missing, not_found
from layers.gateway.schema import String
from layers.stores import vsm as store

MAX_SECURITY_GROUPS = 5


class Input(HsmParams):
    ResourceId: String
    Type: list[Literal["UpdateResourceName", "UpdateSgIds", "UpdateNetWork", "Default"]] = Field(min_length=1)
    ResourceName: Optional[String] = None
    SgIds: Optional[list[String]] = None
    VpcId: Optional[String] = None
    SubnetId: Optional[String] = None
    AlarmStatus: Optional[Literal[0, 1]] = None


@hsm_action("ModifyVsmAttributes", Input, resource_type="vsm")
def handle(p: Input, ctx: RequestContext) -> dict:
    kinds = set(p.Type)
    changes: dict = {}
    if "UpdateResourceName" in kinds:
        changes["ResourceName"] = _name(p.ResourceName)
    if "UpdateSgIds" in kinds and p.SgIds is None:
        raise missing("SgIds")
    if "UpdateSgIds" in kinds and len(set(p.SgIds)) > MAX_SECURITY_GROUPS:
        raise invalid_value("SgIds", f"a VSM may have at most {MAX_SECURITY_GROUPS} security groups")
    if "UpdateNetWork" in kinds:
        for name in ("VpcId", "SubnetId"):
            if not getattr(p, name):
                raise missing(name)

    vsm = vsms.find(ctx, p.ResourceId)
    ctx.touched(vsm["ResourceId"], resource_type="vsm")
    if p.AlarmStatus is not None and p.AlarmStatus != vsms.alarm_status(vsm):
        changes["AlarmStatus"] = p.AlarmStatus
    target_vpc, target_subnet = vsm["VpcId"], None
    if "UpdateNetWork" in kinds and (p.VpcId, p.SubnetId) != (vsm["VpcId"], vsm["SubnetId"]):
        region = catalog.region(vsm["Region"])
        _, target_subnet = vsms.check_placement(ctx, region, region.zone(vsm["ZoneId"]), p.VpcId, p.SubnetId)
        target_vpc = p.VpcId
        if target_vpc != vsm["VpcId"] and "UpdateSgIds" not in kinds:
            changes["SgIds"] = []
    if "UpdateSgIds" in kinds:
        changes["SgIds"] = _groups(ctx, list(dict.fromkeys(p.SgIds)), target_vpc)
    if target_subnet is None and not changes:
        return {}

    def attempt(again: bool) -> dict:
        current = vsms.find(ctx, p.ResourceId)
        if current["SubnetId"] != vsm["SubnetId"]:
            raise ApiError("FailedOperation", f"VSM {p.ResourceId} was moved meanwhile; read it again.")
        move = {}
        if target_subnet is not None:
            free = vsms.free_addresses(ctx, target_subnet, 1, spread=again)
            if not free:
                raise ApiError("ResourceInsufficient", f"Subnet {target_subnet.subnet_id} has no free address.")
            move = {"VpcId": target_vpc, "SubnetId": target_subnet.subnet_id, "Vip": free[0]}
        return store.update(ctx.account, current, {**changes, **move})

    vsms.committed(attempt)
    return {}


def _name(name: Optional[str]) -> str:
    if name is None:
        raise missing("ResourceName")
    name = name.strip()
    if not 1 <= len(name) <= 60:
        raise invalid_value("ResourceName", "must be 1 to 60 characters, not only blanks")
    return name


def _groups(ctx: RequestContext, sg_ids: list, vpc_id: str) -> list:
    groups = network.security_groups_by_id(ctx.region, ctx.account, sg_ids)
    unknown = [g for g in sg_ids if g not in groups]
    if unknown:
        raise not_found("Security group", ", ".join(unknown))
    elsewhere = [g for g in sg_ids if groups[g].vpc_id != vpc_id]
    if elsewhere:
        raise invalid_value("SgIds", f"{', '.join(elsewhere)} do not belong to the VSM's VPC {vpc_id}")
    return sg_ids
