"""GetParametersForImport: an RSA 2048 wrapping public key and an import token for an EXTERNAL CMK,
valid 24 hours (see layers.kms.imports)."""
from typing import Literal

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import imports


class Input(Params):
    KeyId: String
    WrappingAlgorithm: Literal["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    WrappingKeySpec: Literal["RSA_2048"]


@action("GetParametersForImport", Input, region=REGION_OPTIONAL, resource_type="cmk", read_only=False)
def handle(p: Input, ctx: RequestContext) -> dict:
    return imports.parameters(ctx, p.KeyId, p.WrappingAlgorithm)
