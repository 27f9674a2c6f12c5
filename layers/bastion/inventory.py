"""The cloud inventory asset sync reads: EC2 instances (category 1, hosts) and RDS MySQL / SQL
Server instances (category 2, databases), across the configured regions.

An instance belongs to the account named by its owner tag (GZ_BASTION_OWNER_TAG, default
`guardzone:owner-uin`); untagged instances are not synced. Each asset comes back as the cloud
fields of a device record (see devices.py) plus its Owner.
"""
import logging
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from botocore.exceptions import BotoCoreError, ClientError

from layers import aws, regions
from layers.bastion import config, devices

log = logging.getLogger("guardzone.bastion.inventory")
HOSTS, DATABASES = 1, 2
LIVE_STATES = ["pending", "running", "stopping", "stopped"]
CLOUD_FIELDS = ("Name", "PublicIp", "PrivateIp", "ApCode", "OsName", "Kind", "VpcId", "SubnetId", "Tags")
ClientFor = Callable[[str, str], object]      # (boto3 service, AWS region) -> client


@dataclass
class Inventory:
    assets: List[dict] = field(default_factory=list)
    read_regions: set = field(default_factory=set)          # Tencent regions read completely
    failed: Dict[str, str] = field(default_factory=dict)    # Tencent region -> error


def _default_client(service: str, aws_region: str):
    return aws.client(service, aws_region_name=aws_region)


def region_pairs(tencent_regions: Sequence[str]) -> List[Tuple[str, str]]:
    """(Tencent region, AWS region) pairs, one per AWS region (several Tencent names may map to one)."""
    seen, pairs = set(), []
    for name in tencent_regions:
        backing = regions.aws_region(name)
        if backing not in seen:
            seen.add(backing)
            pairs.append((name, backing))
    return pairs


def read(category: int, tencent_regions: Sequence[str], owner: Optional[str] = None,
         client_for: ClientFor = _default_client) -> Inventory:
    inv = Inventory()
    reader = _hosts if category == HOSTS else _databases
    for ap_code, aws_region in region_pairs(tencent_regions):
        try:
            inv.assets.extend(reader(client_for, aws_region, ap_code, owner))
            inv.read_regions.add(ap_code)
        except (ClientError, BotoCoreError) as exc:
            log.warning("inventory of %s (%s) could not be read: %s", ap_code, aws_region, exc)
            inv.failed[ap_code] = str(exc)
    return inv


def _tags(pairs) -> List[dict]:
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in pairs or ()]


def _owner(tags: List[dict]) -> str:
    key = config.owner_tag()
    return next((t["Value"] for t in tags if t["Key"] == key), "")


def _hosts(client_for: ClientFor, aws_region: str, ap_code: str, owner: Optional[str]) -> List[dict]:
    ec2 = client_for("ec2", aws_region)
    owner_filter = ({"Name": f"tag:{config.owner_tag()}", "Values": [owner]} if owner
                    else {"Name": "tag-key", "Values": [config.owner_tag()]})
    found = []
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[owner_filter, {"Name": "instance-state-name", "Values": LIVE_STATES}],
        PaginationConfig={"PageSize": 1000})
    for page in pages:
        for reservation in page["Reservations"]:
            for inst in reservation["Instances"]:
                found.append(host_asset(inst, ap_code))
    return [a for a in found if a["Owner"] and (not owner or a["Owner"] == owner)]


def host_asset(inst: dict, ap_code: str) -> dict:
    tags = _tags(inst.get("Tags"))
    windows = (inst.get("Platform") or "").lower() == "windows"
    kind = 2 if windows else 1
    return {
        "InstanceId": inst["InstanceId"],
        "Name": next((t["Value"] for t in tags if t["Key"] == "Name"), "") or inst["InstanceId"],
        "PublicIp": inst.get("PublicIpAddress", ""), "PrivateIp": inst.get("PrivateIpAddress", ""),
        "ApCode": ap_code, "OsName": inst.get("PlatformDetails") or ("Windows" if windows else "Linux"),
        "Kind": kind, "Port": devices.DEFAULT_PORT[kind], "VpcId": inst.get("VpcId", ""),
        "SubnetId": inst.get("SubnetId", ""), "Tags": tags, "Owner": _owner(tags),
    }


def _db_kind(engine: str) -> int:
    engine = engine.lower()
    if engine in ("mysql", "mariadb", "aurora-mysql", "aurora"):
        return 3
    if engine.startswith("sqlserver"):
        return 4
    return 0


def _databases(client_for: ClientFor, aws_region: str, ap_code: str, owner: Optional[str]) -> List[dict]:
    rds = client_for("rds", aws_region)
    found = []
    for page in rds.get_paginator("describe_db_instances").paginate():
        for db in page["DBInstances"]:
            asset = database_asset(db, ap_code)
            if asset and asset["Owner"] and (not owner or asset["Owner"] == owner):
                found.append(asset)
    return found


def database_asset(db: dict, ap_code: str) -> Optional[dict]:
    kind = _db_kind(db.get("Engine", ""))
    if not kind or db.get("DBInstanceStatus") == "deleting":
        return None
    tags = _tags(db.get("TagList"))
    endpoint = db.get("Endpoint") or {}
    subnets = (db.get("DBSubnetGroup") or {}).get("Subnets") or [{}]
    return {
        "InstanceId": db["DBInstanceIdentifier"], "Name": db["DBInstanceIdentifier"],
        "PublicIp": endpoint.get("Address", "") if db.get("PubliclyAccessible") else "",
        "PrivateIp": endpoint.get("Address", ""), "ApCode": ap_code,
        "OsName": "MySQL" if kind == 3 else "SQLServer", "Kind": kind,
        "Port": endpoint.get("Port") or devices.DEFAULT_PORT[kind],
        "VpcId": (db.get("DBSubnetGroup") or {}).get("VpcId", ""),
        "SubnetId": subnets[0].get("SubnetIdentifier", ""), "Tags": tags, "Owner": _owner(tags),
    }
