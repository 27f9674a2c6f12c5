"""DescribeRegions: the regions (and their zones) where VSMs can be bought."""
import json
from functools import lru_cache
from pathlib import Path

from layers.gateway.action import action
from layers.gateway.schema import NoParams


@lru_cache(maxsize=1)
def _regions() -> list:
    return json.loads((Path(__file__).parent / "data" / "regions.json").read_text("utf-8"))


@action("DescribeRegions", NoParams)
def handle(params: NoParams, ctx) -> dict:
    regions = _regions()
    return {"TotalCount": len(regions), "Regions": regions}
