"""Chinese names of events, resource types and services (EventNameCn, ResourceTypeCn), from
layers/audit/data/names.json (built from the official API descriptions)."""
import json
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def _names() -> dict:
    return json.loads((Path(__file__).parent / "data" / "names.json").read_text("utf-8"))


def event_name_cn(service: str, event_name: str) -> str:
    return _names()["events"].get(service, {}).get(event_name, "")


def resource_type_cn(service: str, resource_type: str) -> str:
    names = _names()
    return names["resourceTypes"].get(resource_type) or names["services"].get(service, "")
