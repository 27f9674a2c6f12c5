"""Bastion resources: editions, licensed nodes, lifetime and price."""
import json
from typing import Tuple

from layers.bastion import times

EDITIONS = ("standard", "pro")
NODE_CHOICES = (10, 20, 50, 100, 200, 500, 1000)
NODES_PER_PACK = 50              # a node expansion pack ("授权点数扩展包") adds 50 nodes
PRICING_MODEL = {"standard": 1001101, "pro": 1001102}
RESOURCE_NAME = "T-Sec-堡垒机（SaaS型）"
PRODUCT_CODE, SUB_PRODUCT_CODE = "p_cds_dasb", "sp_cds_dasb_bh_saas"


def nodes(rec: dict) -> int:
    """Assets the resource may have bound: its node count plus the expansion packs."""
    return rec["ResourceNode"] + NODES_PER_PACK * rec.get("NodeExp", 0)


def expired(rec: dict) -> bool:
    return times.parse(rec["ExpireTime"]) <= times.now()


def status(rec: dict) -> int:
    """0 not initialised (no VPC yet), 1 normal, 2 isolated (expired)."""
    if expired(rec):
        return 2
    return 1 if rec.get("VpcId") else 0


def spec_args(rec: dict) -> str:
    return json.dumps({"edition": rec["ResourceEdition"], "node": rec["ResourceNode"],
                       "bandwidth_pack": rec.get("MbpExp", 0), "node_pack": rec.get("NodeExp", 0)},
                      separators=(",", ":"))


def price(catalog: dict, *, edition: str, node: int, mbp_exp: int, node_exp: int, months: int,
          pay_mode: int) -> Tuple[float, float]:
    """(TotalCost, RealCost) in CNY for `months` of the configuration, from the catalog in
    functions/bhsaas/data/pricing.json."""
    per_node = catalog["node_month"][edition]
    monthly = (node + NODES_PER_PACK * node_exp) * per_node + mbp_exp * catalog["bandwidth_pack_month"]
    total = round(monthly * months, 2)
    discount = 1.0
    for rule in catalog["prepaid_discounts"] if pay_mode == 1 else ():
        if months >= rule["min_months"]:
            discount = min(discount, rule["rate"])
    return total, round(total * discount, 2)
