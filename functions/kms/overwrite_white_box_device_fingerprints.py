"""OverwriteWhiteBoxDeviceFingerprints: refused, the white-box key service is not enabled (layers/kms/whitebox.py)."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms.whitebox import DeviceFingerprint, not_enabled


class Input(Params):
    KeyId: String
    DeviceFingerprints: list[DeviceFingerprint]


@action("OverwriteWhiteBoxDeviceFingerprints", Input, region=REGION_OPTIONAL)
def handle(p: Input, ctx: RequestContext) -> dict:
    raise not_enabled("OverwriteWhiteBoxDeviceFingerprints")
