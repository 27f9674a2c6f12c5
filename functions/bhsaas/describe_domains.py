"""DescribeDomains: the account's network domains (layers/bastion/domains.py says which exist).

Filters (Name: Values, any value of a filter; every filter must hold): DomainId, ResourceId
(exact), DomainName (case-insensitive substring), Status, Enabled, Default ("0"/"1"), Ip (an
address inside the domain's WhiteIpSet). Another name, or empty Values, is
InvalidParameterValue. Limit: default 20, at most 500."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import domains, filters, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, Uint64

FILTERS = {
    "DomainId": lambda d, v: d["DomainId"] == v,
    "ResourceId": lambda d, v: d["ResourceId"] == v,
    "DomainName": lambda d, v: filters.fuzzy(v, d["DomainName"]),
    "Status": lambda d, v: str(d["Status"]) == v.strip(),
    "Enabled": lambda d, v: str(d["Enabled"]) == v.strip(),
    "Default": lambda d, v: str(d["Default"]) == v.strip(),
    "Ip": domains.holds_ip,
}


class Input(Params):
    Limit: Annotated[int, Field(ge=0, le=500)] = 20
    Filters: Optional[List[filters.Filter]] = None
    Offset: Uint64 = 0


@action("DescribeDomains", Input, region=REGION_IGNORED, resource_type="domain")
def handle(p: Input, ctx: RequestContext) -> dict:
    filters.check_filters(p.Filters, FILTERS)
    found = domains.all_domains(store.load_all(ctx.account, "resource"), store.load_all(ctx.account, "device"))
    found = filters.by_filters(found, p.Filters, FILTERS)
    return {"TotalCount": len(found), "DomainSet": filters.page(found, p.Offset, p.Limit)}
