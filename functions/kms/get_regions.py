"""GetRegions: the regions where KMS is offered (every region this deployment knows)."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import NoParams
from layers.regions import REGIONS


def regions() -> list:
    """Each region once: a name that is an alias of an earlier one (same display name and backing) is left out."""
    seen, names = set(), []
    for name, place in REGIONS.items():
        if place not in seen:
            seen.add(place)
            names.append(name)
    return names


@action("GetRegions", NoParams, region=REGION_OPTIONAL, read_only=True)
def handle(p: NoParams, ctx: RequestContext) -> dict:
    return {"Regions": regions()}
