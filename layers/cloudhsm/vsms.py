"""VSM placement and views, shared by the VSM actions.

A VSM lives in one zone, in one subnet of one VPC, and holds one private address of that subnet:
never a reserved one, never one a network interface holds, never one another VSM leases (the
lease in the store decides races). Region, zone and VPC names come from the catalog and from EC2
when a VSM is shown, so a renamed VPC shows its new name.
"""
import calendar
import ipaddress
import random
import secrets
import string
import time
from datetime import datetime, timezone
from typing import Callable, Iterable, List, Optional, Tuple

from layers import network
from layers.cloudhsm import catalog
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError, invalid_value, not_found
from layers.stores import vsm as store

# Fields the SDK's models define beyond the API pages. No VSM type offered supports post-quantum
# algorithms (PqcStatus 0 "not supported", PqcFlag 0 "off"); VSMs run in the public cloud (DeployEnv
# "cloud", not "cdc"); no VSM joins a cluster (ClusterId "", ClusterRole 0 "not in a cluster").
PQC_UNSUPPORTED, PQC_OFF = 0, 0
DEPLOY_ENV = "cloud"
CLUSTER_NONE = 0
ALARM_OFF, ALARM_ON = 0, 1
HSM_KINDS = {"GHSM", "EHSM", "SHSM"}
ATTEMPTS = 10          # commits retried after losing a race for an address or an id
STATUS_NORMAL, STATUS_ISOLATED = 1, 2
_ID_CHARS = string.ascii_lowercase + string.digits


def new_resource_id() -> str:
    return "hsm-" + "".join(secrets.choice(_ID_CHARS) for _ in range(8))


def offering_region(ctx: RequestContext) -> catalog.Region:
    """The catalog region of the request; regions without VSMs refuse to sell one."""
    found = catalog.region(ctx.region)
    if found is None:
        raise ApiError("UnsupportedRegion", f"CloudHSM is not offered in {ctx.region}; see DescribeRegions.")
    return found


def in_region(vsm: dict, ctx: RequestContext, region: Optional[str] = None) -> bool:
    """Whether the VSM is in the request's region (or in `region`, when given)."""
    return vsm.get("Region") == catalog.canonical_region(ctx.region if region is None else region)


def find(ctx: RequestContext, resource_id: str) -> dict:
    """The caller's VSM in the request's region, or ResourceNotFound (also for other accounts' ids)."""
    vsm = store.get_vsm(ctx.account, resource_id)
    if vsm is None or not in_region(vsm, ctx):
        raise not_found("VSM", resource_id)
    return vsm


def regional_vsms(ctx: RequestContext, region: Optional[str] = None) -> List[dict]:
    """The caller's VSMs in the request's region (or in `region`, when given), in creation order."""
    return [v for v in store.list_vsms(ctx.account) if in_region(v, ctx, region)]


# ---- placement ----

def check_placement(ctx: RequestContext, region: catalog.Region, zone: catalog.Zone, vpc_id: str,
                    subnet_id: str) -> Tuple[network.Vpc, network.Subnet]:
    vpc, subnet = network.placement(ctx.region, ctx.account, vpc_id, subnet_id)
    if subnet is None:
        raise not_found("Subnet", subnet_id)
    if subnet.availability_zone != zone.availability_zone:
        where = region.zone_of(subnet.availability_zone)
        raise invalid_value("SubnetId", f"subnet {subnet_id} is in "
                            f"{where.en_code if where else 'a zone without VSMs'}, not in {zone.en_code}")
    return vpc, subnet


def free_addresses(ctx: RequestContext, subnet: network.Subnet, n: int, spread: bool = False) -> List[str]:
    """n addresses of the subnet nobody holds (fewer if the subnet has fewer): the lowest ones,
    or, with spread (after losing a race for them), n drawn from the lowest free few dozen."""
    taken = network.interface_addresses(ctx.region, subnet.subnet_id) | store.leased_addresses(subnet.subnet_id)
    want = max(n * 8, 32) if spread else n
    found = []
    for address in subnet.usable_addresses():
        if address not in taken:
            found.append(address)
            if len(found) == want:
                break
    if spread and len(found) > n:
        found = sorted(random.sample(found, n), key=ipaddress.ip_address)
    return found


def committed(attempt: Callable[[bool], object]):
    """Run a read-decide-commit step until it commits without losing a race; the step is told
    whether it runs again after a lost race."""
    for i in range(ATTEMPTS):
        try:
            return attempt(i > 0)
        except (store.AddressTaken, store.VsmChanged, store.QuotaExceeded):
            continue
    raise ApiError("FailedOperation", "Too many concurrent changes to the same subnet or account; retry.")


# ---- lifecycle ----

def one_month_after(epoch: int) -> int:
    when = datetime.fromtimestamp(epoch, tz=timezone.utc)
    year, month = (when.year + 1, 1) if when.month == 12 else (when.year, when.month + 1)
    day = min(when.day, calendar.monthrange(year, month)[1])
    return int(when.replace(year=year, month=month, day=day).timestamp())


def lifecycle(vsm: dict, now: Optional[float] = None) -> Tuple[int, bool, Optional[int]]:
    """(Status, Expired, RemainSeconds): prepaid VSMs are isolated once expired; postpaid ones never expire."""
    expire = vsm.get("ExpireTime")
    if not expire:
        return STATUS_NORMAL, False, None
    remain = int(expire - (time.time() if now is None else now))
    return (STATUS_ISOLATED if remain <= 0 else STATUS_NORMAL), remain <= 0, remain


# ---- views ----

class NetworkNames:
    """The VPCs, subnets and groups a set of VSMs refers to, read from EC2 in one call each."""

    def __init__(self, ctx: RequestContext, vsms: Iterable[dict]) -> None:
        vsms = list(vsms)
        found = network.lookup(ctx.region, ctx.account, vpc_ids=[v["VpcId"] for v in vsms],
                               subnet_ids=[v["SubnetId"] for v in vsms],
                               sg_ids=[g for v in vsms for g in v.get("SgIds", [])])
        self.vpcs, self.subnets, self.groups = found.vpcs, found.subnets, found.groups

    def groups_of(self, vsm: dict) -> List[network.SecurityGroup]:
        return [self.groups[g] for g in vsm.get("SgIds", []) if g in self.groups]


def _common(vsm: dict, names: NetworkNames) -> dict:
    region = catalog.region(vsm["Region"])
    zone = region.zone(vsm["ZoneId"]) if region else None
    vpc, subnet = names.vpcs.get(vsm["VpcId"]), names.subnets.get(vsm["SubnetId"])
    status, expired, remain = lifecycle(vsm)
    return {
        "ResourceId": vsm["ResourceId"], "ResourceName": vsm["ResourceName"], "Status": status,
        "Vip": vsm["Vip"], "VpcId": vsm["VpcId"], "SubnetId": vsm["SubnetId"], "Model": vsm["Model"],
        "VsmType": vsm["VsmType"], "RegionId": region.region_id if region else None,
        "ZoneId": vsm["ZoneId"], "ExpireTime": vsm.get("ExpireTime"),
        "RegionName": region.cn_code if region else None, "ZoneName": zone.cn_code if zone else None,
        "SubnetName": subnet.name if subnet else None, "Expired": expired, "RemainSeconds": remain,
        "VpcName": vpc.name if vpc else None,
        "Tags": [{"TagKey": t["TagKey"], "TagValue": t.get("TagValue")} for t in vsm.get("Tags", [])],
        "Manufacturer": vsm["Manufacturer"], "RenewFlag": vsm.get("RenewFlag", 0),
        "PqcFlag": PQC_OFF, "DeployEnv": vsm.get("DeployEnv", DEPLOY_ENV),
        "ClusterId": vsm.get("ClusterId", ""), "ClusterRole": vsm.get("ClusterRole", CLUSTER_NONE),
    }


def resource_info(vsm: dict, names: NetworkNames) -> dict:
    """ResourceInfo (DescribeVsms)."""
    return {**_common(vsm, names), "SgList": [network.sg_unit(g) for g in names.groups_of(vsm)],
            "CreateUin": vsm.get("CreateUin"), "AlarmStatus": alarm_status(vsm),
            "PqcStatus": PQC_UNSUPPORTED, "Version": version(vsm)}


def attributes(vsm: dict, names: NetworkNames) -> dict:
    """The output of DescribeVsmAttributes: SgList with each group's rules ([] without groups, as
    DescribeVsms gives)."""
    vpc, subnet = names.vpcs.get(vsm["VpcId"]), names.subnets.get(vsm["SubnetId"])
    groups = names.groups_of(vsm)
    return {**_common(vsm, names), "SgList": [network.usg_rule_detail(g) for g in groups],
            "VpcCidrBlock": vpc.cidr if vpc else None, "SubnetCidrBlock": subnet.cidr if subnet else None}


def tags_match(vsm: dict, filters: Optional[list]) -> bool:
    """Every filter must match one tag: the key (if given) and one of the values (if given)."""
    tags = vsm.get("Tags", [])
    for f in filters or []:
        if not any((f.TagKey is None or t["TagKey"] == f.TagKey) and
                   (not f.TagValue or t.get("TagValue") in f.TagValue) for t in tags):
            return False
    return True



def alarm_status(vsm: dict) -> int:
    """1 (default): the account's alarm policies watch this VSM; 0: they do not (ModifyVsmAttributes)."""
    return int(vsm.get("AlarmStatus", ALARM_ON))


def version(vsm: dict) -> str:
    """The VSM's software version: its type's, from the device catalog."""
    found = catalog.vsm_type(vsm["VsmType"])
    return vsm.get("Version") or (found.version if found else "")


def hsm_type_filter(value: Optional[str]) -> Callable[[dict], bool]:
    """DescribeVsms' HsmType: a kind of HSM (GHSM/EHSM/SHSM), all/virtualization/nothing, or physical."""
    wanted = (value or "").strip().upper()
    if wanted in ("", "ALL", "VIRTUALIZATION", "VIRTULIZATION"):
        return lambda v: True
    if wanted == "PHYSICAL":
        return lambda v: False
    if wanted not in HSM_KINDS:
        raise invalid_value("HsmType", "must be one of virtualization, physical, GHSM, EHSM, SHSM, all")

    def hosted(v: dict) -> bool:
        found = catalog.vsm_type(v["VsmType"])
        return bool(found and found.hsm_type == wanted)
    return hosted
