"""DescribeSupportedHsm: manufacturers, their HSM models and the VSM types each model hosts,
in the request's region (empty where CloudHSM is not offered).

HsmType narrows the HSM models: GHSM, EHSM or SHSM keep the models of that kind (a manufacturer
without one is left out); all, virtualization (and the SDK's spelling virtulization) or nothing
keep every model, since every model hosts VSMs; physical gives none (only VSMs are offered)."""
from typing import Optional

from layers.cloudhsm import catalog
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import invalid
from layers.gateway.schema import String

EVERY_MODEL = {"", "ALL", "VIRTUALIZATION", "VIRTULIZATION"}
KINDS = {"GHSM", "EHSM", "SHSM"}


class Input(HsmParams):
    HsmType: Optional[String] = None


@hsm_action("DescribeSupportedHsm", Input)
def handle(p: Input, ctx: RequestContext) -> dict:
    wanted = (p.HsmType or "").strip().upper()
    if wanted not in EVERY_MODEL | KINDS | {"PHYSICAL"}:
        raise invalid("HsmType", "must be one of all, virtualization, GHSM, EHSM, SHSM")
    if not catalog.region(ctx.region) or wanted == "PHYSICAL":
        return {"DeviceTypes": []}
    devices = catalog.device_infos()
    if wanted in KINDS:
        devices = [{**d, "HsmTypes": [h for h in d["HsmTypes"] if h["HsmType"] == wanted]} for d in devices]
        devices = [d for d in devices if d["HsmTypes"]]
    return {"DeviceTypes": devices}
