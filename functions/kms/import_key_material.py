"""ImportKeyMaterial: the 128-bit material of an EXTERNAL CMK, encrypted to the wrapping public key of
GetParametersForImport; the key becomes Enabled. ValidTo (Unix time, 0: never) is when the material
is dropped again. Re-imports must bring the same material (see layers.kms.imports)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String, Uint64
from layers.kms import imports


class Input(Params):
    EncryptedKeyMaterial: String
    ImportToken: String
    KeyId: String
    ValidTo: Optional[Uint64] = None


@action("ImportKeyMaterial", Input, region=REGION_OPTIONAL, resource_type="cmk",
        secret_params=("EncryptedKeyMaterial", "ImportToken"))
def handle(p: Input, ctx: RequestContext) -> dict:
    imports.import_material(ctx, p.KeyId, p.ImportToken, p.EncryptedKeyMaterial, p.ValidTo)
    return {}
