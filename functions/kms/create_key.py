"""CreateKey: a new CMK in the VSM named by HsmClusterId, or in the account's default key domain.
Type 2 (EXTERNAL) makes a symmetric CMK without material, PendingImport until ImportKeyMaterial."""
from typing import Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Int64, Params, String
from layers.kms import keys, usages
from layers.kms.params import Tag, check_alias, check_description, check_tags
from layers.kms.usages import ENCRYPT_DECRYPT, USAGES

TYPE_DEFAULT, TYPE_EXTERNAL = 1, 2


class Input(Params):
    Alias: String
    Description: Optional[String] = None
    KeyUsage: Optional[String] = None
    Type: Optional[Int64] = None
    Tags: Optional[list[Tag]] = Field(None, max_length=50)
    HsmClusterId: Optional[String] = None


@action("CreateKey", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    alias = check_alias(p.Alias)
    description = check_description(p.Description)
    usage = USAGES.get(p.KeyUsage or ENCRYPT_DECRYPT)
    if usage is None:
        raise ApiError("InvalidParameterValue.InvalidKeyUsage",
                       f"KeyUsage must be one of {', '.join(USAGES)}; see ListAlgorithms.")
    if not usage.available:
        raise ApiError("UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion",
                       f"{usage.name} keys are not offered here; see ListAlgorithms.")
    if p.Type not in (None, TYPE_DEFAULT, TYPE_EXTERNAL):
        raise ApiError("InvalidParameterValue.InvalidType",
                       "The value of parameter `Type` is invalid: must be 1 (KMS makes the material) or 2 (EXTERNAL).")
    external = p.Type == TYPE_EXTERNAL
    if external and usage.kind != usages.SYMMETRIC:
        raise ApiError("InvalidParameterValue.InvalidKeyUsage",
                       "EXTERNAL CMKs (Type 2) are symmetric keys (ENCRYPT_DECRYPT, ENCRYPT_DECRYPT_AES_*): "
                       "imported material is symmetric.")
    doc = keys.create(ctx, alias=alias, description=description, usage=usage, tags=check_tags(p.Tags),
                      hsm_cluster_id=p.HsmClusterId or "", external=external)
    ctx.touched(doc["KeyId"], resource_type="cmk")
    return {"KeyId": doc["KeyId"], "Alias": doc["Alias"], "CreateTime": doc["CreateTime"],
            "Description": doc["Description"], "KeyState": doc["KeyState"], "KeyUsage": doc["KeyUsage"],
            "TagCode": 0, "TagMsg": "", "HsmClusterId": doc["HsmClusterId"]}
