"""GetVsmMonitorInfo: a VSM's CPU, MEM and TCP metrics over the last hour, from CloudWatch.

The VSM is named by ResourceId or, without one, by ResourceName (the caller's one VSM of that name
in the region). MonitorInfo holds one JSON string per metric:
{"Metric":"CPU","Period":60,"Points":[{"Time":<epoch>,"Value":<max of the minute>},...],"Unit":"Percent"};
DigestList one item: DigestVer the number of points, Value the SHA-256 (hex) of the MonitorInfo
strings joined by newlines; InitStatus 1 (initialized: a VSM is usable once created)."""
from typing import Optional

from layers.cloudhsm import monitor, vsms
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import invalid, missing, not_found
from layers.gateway.schema import String


class Input(HsmParams):
    ResourceId: Optional[String] = None
    ResourceName: Optional[String] = None


@hsm_action("GetVsmMonitorInfo", Input, resource_type="vsm")
def handle(p: Input, ctx: RequestContext) -> dict:
    vsm = _named(p, ctx)
    ctx.touched(vsm["ResourceId"], resource_type="vsm")
    monitor.sample_if_due(ctx.account, vsm)
    return monitor.monitor_info(ctx.account, vsm)


def _named(p: Input, ctx: RequestContext) -> dict:
    if p.ResourceId:
        return vsms.find(ctx, p.ResourceId)
    name = (p.ResourceName or "").strip()
    if not name:
        raise missing("ResourceId")
    found = [v for v in vsms.regional_vsms(ctx) if v["ResourceName"] == name]
    if not found:
        raise not_found("VSM named", name)
    if len(found) > 1:
        raise invalid("ResourceName", f"{len(found)} VSMs are named {name}; give ResourceId")
    return found[0]
