"""TerminateVsm: return a VSM. Its key material is destroyed first (store.on_vsm_terminated, where
the keystore's crypto-shredding of the VSM's key domain is registered); then its record, its
address lease and its quota slot go in one transaction."""
import layers.keystore.vsm_hooks  # noqa: F401  registers the key domain's shredding
from layers.cloudhsm import vsms
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.schema import String
from layers.stores import vsm as store


class Input(HsmParams):
    ResourceId: String


@hsm_action("TerminateVsm", Input, resource_type="vsm")
def handle(p: Input, ctx: RequestContext) -> dict:
    vsm = vsms.find(ctx, p.ResourceId)
    ctx.touched(vsm["ResourceId"], resource_type="vsm")
    store.on_vsm_terminated(vsm)
    # Re-read on each attempt: a concurrent move changes the lease to release, a concurrent
    # termination makes this one ResourceNotFound.
    vsms.committed(lambda again: store.delete(ctx.account, vsms.find(ctx, p.ResourceId)))
    return {}
