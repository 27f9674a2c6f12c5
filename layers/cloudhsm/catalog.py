"""What CloudHSM sells, kept as data in functions/cloudhsm/data/ (from the product pages of the seed).

regions.json   regions and zones that offer VSMs; each zone names the backing availability zone
               (a suffix of the AWS region layers/regions.py maps the Tencent region to).
devices.json   manufacturers -> HSM models -> VSM types, with each type's algorithms and the
               performance figures the product pages list. An HSM model's HsmType (the SDK's
               name for the host) is EHSM for the financial HSMs that host EVSMs, GHSM for the
               general server HSMs that host GVSMs, SHSM for the signature servers that host SVSMs.

VSM type ids: the high nibble is the kind (1 EVSM, 2 GVSM, 3 SVSM) as the SDK's 17/33/49 are,
the low nibble tells the manufacturers offering that kind apart.
"""
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Dict, List, Optional, Tuple

from layers import regions as tencent_regions

# The FAQ (常见问题): one account may hold at most 5 instances unless an engineer raises it.
DEFAULT_VSM_QUOTA = 5

_ZONE_FIELDS = ("ZoneId", "ZoneEnCode", "ZoneCnCode")
_REGION_FIELDS = ("RegionId", "RegionCnCode", "RegionEnCode")


def load(name: str):
    return json.loads(resources.files("functions.cloudhsm").joinpath("data", name).read_text("utf-8"))


@dataclass(frozen=True)
class Zone:
    zone_id: int
    en_code: str
    cn_code: str
    availability_zone: str      # the backing AWS availability zone, e.g. us-east-1a


@dataclass(frozen=True)
class Region:
    region_id: int
    en_code: str
    cn_code: str
    zones: Tuple[Zone, ...]

    def zone(self, zone_id: int) -> Optional[Zone]:
        return next((z for z in self.zones if z.zone_id == zone_id), None)

    def zone_of(self, availability_zone: str) -> Optional[Zone]:
        return next((z for z in self.zones if z.availability_zone == availability_zone), None)


@dataclass(frozen=True)
class VsmType:
    type_id: int
    type_name: str              # EVSM, GVSM or SVSM
    manufacturer: str
    model: str
    hsm_type: str               # EHSM, GHSM or SHSM: the kind of HSM hosting it
    alg_desc_list: Tuple[dict, ...]
    property_list: Tuple[dict, ...]
    version: str = "1.0.0"      # the VSM software version (ResourceInfo.Version); devices.json may name one


@lru_cache(maxsize=1)
def _regions() -> Tuple[Dict[str, Region], Dict[str, str], List[dict]]:
    raw = load("regions.json")
    by_name, aliases = {}, {}
    for r in raw:
        aws = tencent_regions.aws_region(r["RegionEnCode"])
        zones = tuple(Zone(z["ZoneId"], z["ZoneEnCode"], z["ZoneCnCode"], aws + z["BackingZone"])
                      for z in r["Zones"])
        by_name[r["RegionEnCode"]] = Region(r["RegionId"], r["RegionEnCode"], r["RegionCnCode"], zones)
        for alias in r.get("Aliases", ()):
            aliases[alias] = r["RegionEnCode"]
    public = [{**{k: r[k] for k in _REGION_FIELDS},
               "Zones": [{k: z[k] for k in _ZONE_FIELDS} for z in r["Zones"]]} for r in raw]
    return by_name, aliases, public


def region_infos() -> List[dict]:
    """The RegionInfo list DescribeRegions returns."""
    return _regions()[2]


def canonical_region(name: str) -> str:
    """A region's catalog name (old codes such as shjr name the same region as ap-shanghai-fsi)."""
    return _regions()[1].get(name, name)


def region(name: str) -> Optional[Region]:
    return _regions()[0].get(canonical_region(name))


@lru_cache(maxsize=1)
def _devices() -> Tuple[List[dict], Dict[int, VsmType]]:
    raw = load("devices.json")
    types = {}
    for vendor in raw:
        for hsm in vendor["HsmTypes"]:
            for t in hsm["VsmTypes"]:
                types[t["TypeID"]] = VsmType(t["TypeID"], t["TypeName"], vendor["Manufacturer"], hsm["Model"],
                                             hsm["HsmType"], tuple(t["AlgDescList"]), tuple(t["PropertyList"]),
                                             t.get("Version", "1.0.0"))
    public = [{"Manufacturer": v["Manufacturer"],
               "HsmTypes": [{"Model": h["Model"], "HsmType": h["HsmType"],
                             "VsmTypes": [{"TypeName": t["TypeName"], "TypeID": t["TypeID"]} for t in h["VsmTypes"]]}
                            for h in v["HsmTypes"]]} for v in raw]
    return public, types


def device_infos() -> List[dict]:
    """The DeviceInfo list DescribeSupportedHsm returns."""
    return _devices()[0]


def vsm_type(type_id: int) -> Optional[VsmType]:
    return _devices()[1].get(type_id)


def type_name_hosted_by(hsm_type: str) -> Optional[str]:
    """The VSM kind an HSM kind hosts: EHSM -> EVSM, GHSM -> GVSM, SHSM -> SVSM."""
    return next((t.type_name for t in _devices()[1].values() if t.hsm_type == hsm_type), None)
