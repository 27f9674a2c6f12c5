"""DeleteImportedKeyMaterial: drop an EXTERNAL CMK's imported material; the key becomes PendingImport
and works again once the same material is imported. (ScheduleKeyDeletion deletes the key itself.)"""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import imports


class Input(Params):
    KeyId: String


@action("DeleteImportedKeyMaterial", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    imports.delete_material(ctx, p.KeyId)
    return {}
