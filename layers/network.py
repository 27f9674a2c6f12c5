"""The caller's VPCs, subnets and security groups, read from the cloud's network API (EC2 via boto3),
for every service that places something in a network.

Ownership: a VPC, subnet or security group tagged `guardzone:OwnerUin` belongs to that account;
an untagged subnet or group belongs to whoever owns its VPC; resources with no owner anywhere are
the deployment's shared networks, which every account sees. An account never sees a resource
another account owns.

EC2 keeps no creation time and no rule version for these resources. CreatedTime comes from a
`guardzone:CreatedTime` tag (ISO 8601) set by whatever provisions the network; a resource listed
without one is stamped with the time it was first listed. A security group's Version counts the
changes of its rules: `guardzone:RulesVersion` starts at 1 when the group is first listed and goes up
by one whenever its rules are seen changed (`guardzone:RulesDigest`). The stamps are tags, so they are
kept with the resource and cost one CreateTags call per change; without permission to tag, CreatedTime
stays null and Version 0.
"""
import hashlib
import json
import logging
import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterable, List, Optional, Set, Tuple

from layers import aws
from layers.gateway.errors import invalid_value, not_found

OWNER_TAG = "guardzone:OwnerUin"
CREATED_TAG = "guardzone:CreatedTime"
RULES_DIGEST_TAG, RULES_VERSION_TAG = "guardzone:RulesDigest", "guardzone:RulesVersion"
NAME_TAG = "Name"
# Addresses the backing network keeps in every IPv4 subnet: the network address, the next
# three (router, DNS, reserved) and the broadcast address.
RESERVED_HEAD, RESERVED_TAIL = 4, 1
_BEIJING = timezone(timedelta(hours=8))
_IDS = {"Vpcs": "VpcId", "Subnets": "SubnetId", "SecurityGroups": "GroupId"}
log = logging.getLogger("guardzone.network")


def _tags(resource: dict) -> Dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", resource.get("TagSet", [])) or []}


def _created(tags: Dict[str, str]) -> Optional[str]:
    raw = tags.get(CREATED_TAG)
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return raw
    if when.tzinfo is not None:
        when = when.astimezone(_BEIJING)
    return when.strftime("%Y-%m-%d %H:%M:%S")


def _visible(owner: Optional[str], account: str) -> bool:
    return not owner or owner == account


def _matches(word: Optional[str], *values: Optional[str]) -> bool:
    if not word:
        return True
    needle = word.strip().lower()
    return any(needle in (v or "").lower() for v in values)


@dataclass
class Vpc:
    vpc_id: str
    name: str
    cidr: str
    ipv6_cidr: Optional[str]
    is_default: bool
    created: Optional[str]
    owner: Optional[str]


@dataclass
class Subnet:
    subnet_id: str
    vpc_id: str
    name: str
    cidr: str
    ipv6_cidr: Optional[str]
    availability_zone: str
    available_ips: int
    is_default: bool
    created: Optional[str]
    owner: Optional[str]

    @property
    def total_ips(self) -> int:
        return max(ipaddress.ip_network(self.cidr).num_addresses - RESERVED_HEAD - RESERVED_TAIL, 0)

    def usable_addresses(self) -> Iterable[str]:
        """Every address a VSM may take, in order: the subnet minus the reserved ones."""
        net = ipaddress.ip_network(self.cidr)
        first, last = int(net.network_address) + RESERVED_HEAD, int(net.broadcast_address) - RESERVED_TAIL
        for n in range(first, last + 1):
            yield str(ipaddress.ip_address(n))


@dataclass
class SecurityGroup:
    sg_id: str
    vpc_id: str
    name: str
    remark: str
    created: Optional[str]
    owner: Optional[str]
    version: int = 0
    inbound: List[dict] = field(default_factory=list)
    outbound: List[dict] = field(default_factory=list)


def _ec2(region: str):
    return aws.client("ec2", region)


def _all(region: str, operation: str, key: str, filters: Optional[list] = None) -> List[dict]:
    paginator = _ec2(region).get_paginator(operation)
    kwargs = {"Filters": filters} if filters else {}
    items = [item for page in paginator.paginate(**kwargs) for item in page[key]]
    if key in _IDS:
        _stamp(region, items, _IDS[key])
    return items


def _rules_digest(raw: dict) -> str:
    rules = {"in": raw.get("IpPermissions", []), "out": raw.get("IpPermissionsEgress", [])}
    return hashlib.sha256(json.dumps(rules, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _tag(region: str, ids: List[str], tags: Dict[str, str]) -> bool:
    try:
        _ec2(region).create_tags(Resources=ids, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        return True
    except Exception as exc:    # no permission to tag: the fields stay unknown, the listing still answers
        log.warning("cannot stamp %s with %s: %s", ids, sorted(tags), exc)
        return False


def _stamp(region: str, items: List[dict], id_key: str) -> None:
    """Give listed resources their creation time and (groups) rules version, as tags, in place."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    fresh = [r for r in items if not _tags(r).get(CREATED_TAG)]
    if fresh and _tag(region, [r[id_key] for r in fresh], {CREATED_TAG: now}):
        for r in fresh:
            r.setdefault("Tags", []).append({"Key": CREATED_TAG, "Value": now})
    if id_key != "GroupId":
        return
    for r in items:
        tags, digest = _tags(r), _rules_digest(r)
        if tags.get(RULES_DIGEST_TAG) == digest:
            continue
        version = str(_int(tags.get(RULES_VERSION_TAG)) + 1)
        if _tag(region, [r[id_key]], {RULES_DIGEST_TAG: digest, RULES_VERSION_TAG: version}):
            r["Tags"] = [t for t in r.get("Tags", []) if t["Key"] not in (RULES_DIGEST_TAG, RULES_VERSION_TAG)]
            r["Tags"] += [{"Key": RULES_DIGEST_TAG, "Value": digest}, {"Key": RULES_VERSION_TAG, "Value": version}]


def _int(raw: Optional[str]) -> int:
    try:
        return int(raw or 0)
    except ValueError:
        return 0


def _ipv6(associations: Optional[list]) -> Optional[str]:
    for a in associations or []:
        state = str((a.get("Ipv6CidrBlockState") or {}).get("State", "associated"))
        if a.get("Ipv6CidrBlock") and not any(s in state for s in ("disassociat", "fail")):
            return a["Ipv6CidrBlock"]
    return None


def _vpc(raw: dict) -> Vpc:
    tags = _tags(raw)
    return Vpc(raw["VpcId"], tags.get(NAME_TAG, ""), raw.get("CidrBlock", ""),
               _ipv6(raw.get("Ipv6CidrBlockAssociationSet")), bool(raw.get("IsDefault")), _created(tags),
               tags.get(OWNER_TAG))


def _subnet(raw: dict, vpc_owner: Optional[str]) -> Subnet:
    tags = _tags(raw)
    return Subnet(raw["SubnetId"], raw["VpcId"], tags.get(NAME_TAG, ""), raw.get("CidrBlock", ""),
                  _ipv6(raw.get("Ipv6CidrBlockAssociationSet")), raw.get("AvailabilityZone", ""),
                  int(raw.get("AvailableIpAddressCount", 0)), bool(raw.get("DefaultForAz")), _created(tags),
                  tags.get(OWNER_TAG) or vpc_owner)


def _group(raw: dict, vpc_owner: Optional[str]) -> SecurityGroup:
    tags = _tags(raw)
    return SecurityGroup(raw["GroupId"], raw.get("VpcId", ""), tags.get(NAME_TAG) or raw.get("GroupName", ""),
                         raw.get("Description", ""), _created(tags), tags.get(OWNER_TAG) or vpc_owner,
                         _int(tags.get(RULES_VERSION_TAG)), _policies(raw.get("IpPermissions", [])), _policies(raw.get("IpPermissionsEgress", [])))


@dataclass
class Lookup:
    vpcs: Dict[str, Vpc]
    subnets: Dict[str, Subnet]
    groups: Dict[str, SecurityGroup]


def lookup(region: str, account: str, vpc_ids: Iterable[str] = (), subnet_ids: Iterable[str] = (),
           sg_ids: Iterable[str] = ()) -> Lookup:
    """The given VPCs, subnets and groups the account sees, in at most three calls: subnets and
    groups first, then every VPC involved (theirs decide the owner of untagged ones)."""
    subnet_ids, sg_ids = sorted({i for i in subnet_ids if i}), sorted({i for i in sg_ids if i})
    raw_subnets = _all(region, "describe_subnets", "Subnets",
                       [{"Name": "subnet-id", "Values": subnet_ids}]) if subnet_ids else []
    raw_groups = _all(region, "describe_security_groups", "SecurityGroups",
                      [{"Name": "group-id", "Values": sg_ids}]) if sg_ids else []
    wanted = {i for i in vpc_ids if i} | {s["VpcId"] for s in raw_subnets}
    wanted |= {g["VpcId"] for g in raw_groups if g.get("VpcId")}
    raw_vpcs = _all(region, "describe_vpcs", "Vpcs", [{"Name": "vpc-id", "Values": sorted(wanted)}]) if wanted else []
    vpcs = {v.vpc_id: v for v in map(_vpc, raw_vpcs)}
    owner = {i: v.owner for i, v in vpcs.items()}
    subnets = [_subnet(s, owner.get(s["VpcId"])) for s in raw_subnets]
    groups = [_group(g, owner.get(g.get("VpcId"))) for g in raw_groups]
    return Lookup({i: v for i, v in vpcs.items() if _visible(v.owner, account)},
                  {s.subnet_id: s for s in subnets if _visible(s.owner, account)},
                  {g.sg_id: g for g in groups if _visible(g.owner, account)})


def placement(region: str, account: str, vpc_id: str, subnet_id: str = "") -> Tuple[Vpc, Optional[Subnet]]:
    """The account's VPC and, when a subnet is given, its subnet in that VPC. One the account does
    not see is ResourceNotFound, worded as for one that does not exist."""
    found = lookup(region, account, vpc_ids=[vpc_id], subnet_ids=[subnet_id])
    vpc, subnet = found.vpcs.get(vpc_id), found.subnets.get(subnet_id)
    if vpc is None:
        raise not_found("VPC", vpc_id)
    if not subnet_id:
        return vpc, None
    if subnet is None:
        raise not_found("Subnet", subnet_id)
    if subnet.vpc_id != vpc.vpc_id:
        raise invalid_value("SubnetId", f"subnet {subnet_id} is not in VPC {vpc_id}")
    return vpc, subnet


# ---- VPCs ----

def vpcs(region: str, account: str, search: Optional[str] = None) -> List[Vpc]:
    """The VPCs the account sees: default first, then by name and id."""
    found = [_vpc(v) for v in _all(region, "describe_vpcs", "Vpcs")]
    shown = [v for v in found if _visible(v.owner, account) and _matches(search, v.vpc_id, v.name, v.cidr)]
    return sorted(shown, key=lambda v: (not v.is_default, v.name, v.vpc_id))


def vpc(region: str, account: str, vpc_id: str) -> Optional[Vpc]:
    return lookup(region, account, vpc_ids=[vpc_id]).vpcs.get(vpc_id)


# ---- subnets ----

def subnets(region: str, account: str, vpc: Vpc, search: Optional[str] = None) -> List[Subnet]:
    raw = _all(region, "describe_subnets", "Subnets", [{"Name": "vpc-id", "Values": [vpc.vpc_id]}])
    found = [_subnet(s, vpc.owner) for s in raw]
    shown = [s for s in found if _visible(s.owner, account) and _matches(search, s.subnet_id, s.name, s.cidr)]
    return sorted(shown, key=lambda s: (not s.is_default, s.name, s.subnet_id))


def subnet(region: str, account: str, subnet_id: str) -> Optional[Subnet]:
    return lookup(region, account, subnet_ids=[subnet_id]).subnets.get(subnet_id)


def interface_addresses(region: str, subnet_id: str) -> Set[str]:
    """Private addresses network interfaces (instances, load balancers, ...) hold in a subnet."""
    taken = set()
    for eni in _all(region, "describe_network_interfaces", "NetworkInterfaces",
                    [{"Name": "subnet-id", "Values": [subnet_id]}]):
        taken.update(a["PrivateIpAddress"] for a in eni.get("PrivateIpAddresses", []) if a.get("PrivateIpAddress"))
        if eni.get("PrivateIpAddress"):
            taken.add(eni["PrivateIpAddress"])
    return taken


# ---- security groups ----

def security_groups(region: str, account: str, search: Optional[str] = None) -> List[SecurityGroup]:
    raw = _all(region, "describe_security_groups", "SecurityGroups")
    owners = {v["VpcId"]: _tags(v).get(OWNER_TAG) for v in _all(region, "describe_vpcs", "Vpcs")}
    found = [_group(g, owners.get(g.get("VpcId"))) for g in raw]
    shown = [g for g in found if _visible(g.owner, account) and _matches(search, g.sg_id, g.name)]
    return sorted(shown, key=lambda g: (g.name, g.sg_id))


def security_groups_by_id(region: str, account: str, sg_ids: Iterable[str]) -> Dict[str, SecurityGroup]:
    return lookup(region, account, sg_ids=sg_ids).groups


def _protocol(proto: str) -> str:
    return {"-1": "ALL", "tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "ICMPv6",
            "6": "TCP", "17": "UDP", "1": "ICMP", "58": "ICMPv6"}.get(str(proto).lower(), str(proto).upper())


def _port(perm: dict) -> str:
    low, high = perm.get("FromPort"), perm.get("ToPort")
    if str(perm.get("IpProtocol")) == "-1" or low in (None, -1):
        return "ALL"
    if perm.get("IpProtocol") in ("icmp", "icmpv6", "1", "58"):
        return str(low)      # ICMP type
    if low == 0 and high == 65535:
        return "ALL"
    return str(low) if low == high else f"{low}-{high}"


def _policies(permissions: List[dict]) -> List[dict]:
    """EC2 permissions as UsgPolicy entries: one per source (CIDR, group or prefix list), the other
    source fields empty. EC2 groups only allow, so every Action is ACCEPT; EC2 has no service groups."""
    out = []
    for perm in permissions:
        proto, port = _protocol(perm.get("IpProtocol", "-1")), _port(perm)

        def policy(desc, ip="", group="", prefix_list=""):
            return {"Ip": ip, "Id": group, "AddressModule": prefix_list, "Proto": proto, "Port": port,
                    "ServiceModule": "", "Desc": desc or "", "Action": "ACCEPT"}

        out += [policy(r.get("Description"), ip=r["CidrIp"]) for r in perm.get("IpRanges", [])]
        out += [policy(r.get("Description"), ip=r["CidrIpv6"]) for r in perm.get("Ipv6Ranges", [])]
        out += [policy(r.get("Description"), group=r["GroupId"]) for r in perm.get("UserIdGroupPairs", [])]
        out += [policy(r.get("Description"), prefix_list=r["PrefixListId"]) for r in perm.get("PrefixListIds", [])]
    return out


def sg_unit(g: SecurityGroup) -> dict:
    return {"SgId": g.sg_id, "SgName": g.name, "SgRemark": g.remark, "CreateTime": g.created}


def usg_rule_detail(g: SecurityGroup) -> dict:
    return {"InBound": g.inbound, "OutBound": g.outbound, "SgId": g.sg_id, "SgName": g.name,
            "SgRemark": g.remark, "CreateTime": g.created, "Version": g.version}
