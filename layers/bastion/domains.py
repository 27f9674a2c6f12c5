"""Network domains (网络域) of the bastion, as DescribeDomains answers them.

No action creates a network domain (the SDK has none), so the domains are the ones that exist:
- each deployed resource's default domain (Default 1): DomainId `net-<the resource id's suffix>`,
  its VPC's block as WhiteIpSet, connected (Status 1) while the resource is in service (Status
  1), created when the resource was deployed;
- every other DomainId a device names (BindDeviceResource / ModifyDevice DomainId): Default 0,
  the naming devices' addresses as WhiteIpSet, the resource of the first of them that is bound
  as ResourceId, Status 0 (nothing here connects such a domain) and, not being an object of its
  own, Id 0 and no CreateTime ("").
"""
import ipaddress
from typing import Dict, List

from layers.bastion import billing

DEFAULT_NAME = "默认网络域"
_PREFIX = "bh-saas-"


def default_id(resource_id: str) -> str:
    return "net-" + (resource_id[len(_PREFIX):] if resource_id.startswith(_PREFIX) else resource_id)


def _default(rec: dict) -> dict:
    return {"Id": rec["Id"], "DomainId": default_id(rec["ResourceId"]), "DomainName": DEFAULT_NAME,
            "ResourceId": rec["ResourceId"], "WhiteIpSet": [rec["VpcCidrBlock"]] if rec.get("VpcCidrBlock") else [],
            "Enabled": 1, "Status": 1 if billing.status(rec) == 1 else 0,
            "CreateTime": rec.get("DeployTime") or rec["CreateTime"], "Default": 1}


def all_domains(resources: Dict[int, dict], devices: Dict[int, dict]) -> List[dict]:
    """The account's domains: default ones by resource Id, then named ones by DomainId."""
    out = [_default(resources[i]) for i in sorted(resources) if resources[i].get("VpcId")]
    known = {d["DomainId"] for d in out}
    named: Dict[str, List[dict]] = {}
    for i in sorted(devices):
        dom = devices[i].get("DomainId")
        if dom and dom not in known:
            named.setdefault(dom, []).append(devices[i])
    for dom in sorted(named):
        members = named[dom]
        ips = sorted({d.get("PrivateIp") or d.get("PublicIp") for d in members} - {"", None})
        bound = next((d["ResourceId"] for d in members if d.get("ResourceId")), "")
        out.append({"Id": 0, "DomainId": dom, "DomainName": dom, "ResourceId": bound, "WhiteIpSet": ips,
                    "Enabled": 1, "Status": 0, "CreateTime": "", "Default": 0})
    return out


def holds_ip(domain: dict, value: str) -> bool:
    """The Ip filter: the address is one of WhiteIpSet's, or inside one of its blocks."""
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    for entry in domain["WhiteIpSet"]:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
