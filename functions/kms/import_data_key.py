"""ImportDataKey: host a data key the caller brings. ImportType 1: a CiphertextBlob made by this KMS
(GenerateDataKey or Encrypt, without an EncryptionContext) is opened under its CMK (KeyId, if given, must
be that CMK) and kept as it is; ImportType 2: the base64 plaintext is sealed under the Enabled CMK KeyId.
Either way the data key is 1-1024 bytes and is hosted with Origin EXTERNAL."""
from typing import Optional

from pydantic import Field

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError, invalid_value
from layers.gateway.schema import Int64, Params, String
from layers.kms import ciphertexts, data_keys, keys, usages
from layers.kms.params import Tag, b64decode, check_tags

IMPORT_CIPHERTEXT, IMPORT_PLAINTEXT = 1, 2


class Input(Params):
    DataKeyName: String
    ImportKeyMaterial: String
    ImportType: Int64
    Description: Optional[String] = None
    KeyId: Optional[String] = None
    HsmClusterId: Optional[String] = None
    Tags: Optional[list[Tag]] = Field(None, max_length=50)


@action("ImportDataKey", Input, region=REGION_OPTIONAL, resource_type="datakey",
        secret_params=("ImportKeyMaterial",))
def handle(p: Input, ctx: RequestContext) -> dict:
    if p.ImportType not in (IMPORT_CIPHERTEXT, IMPORT_PLAINTEXT):
        raise invalid_value("ImportType", "must be 1 (a CiphertextBlob of this KMS) or 2 (the plaintext)")
    name = data_keys.check_name(p.DataKeyName)
    description = data_keys.check_description(p.Description)
    tags = check_tags(p.Tags)
    if p.ImportType == IMPORT_PLAINTEXT:
        if not p.KeyId:
            raise ApiError("MissingParameter", "The parameter `KeyId` is required to import a plaintext data key.")
        plain = b64decode("ImportKeyMaterial", p.ImportKeyMaterial, code="InvalidParameterValue.InvalidImportKeyMaterial")
        data_keys.check_size(len(plain))
        key = keys.usable(ctx, p.KeyId, usages.SYMMETRIC, "ImportDataKey")
        ctx.touched(key.key_id, resource_type="datakey")
        data_keys.check_cluster(key, p.HsmClusterId)
        sealed = ciphertexts.encrypt(ctx, key, plain, "")
    else:
        key, plain = data_keys.open_import(ctx, p.ImportKeyMaterial, p.KeyId or "")
        ctx.touched(key.key_id, resource_type="datakey")
        data_keys.check_cluster(key, p.HsmClusterId)
        data_keys.check_size(len(plain))
        sealed = p.ImportKeyMaterial
    doc = data_keys.host(ctx, key, name=name, description=description, tags=tags, sealed=sealed, context="",
                         size=len(plain), origin=data_keys.ORIGIN_EXTERNAL)
    return {"KeyId": key.key_id, "DataKeyId": doc["DataKeyId"], "TagCode": 0, "TagMsg": ""}
