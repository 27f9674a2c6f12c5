"""GenerateDataKey: a fresh data key, in the clear (or encrypted to EncryptionPublicKey) and as a
CiphertextBlob under the CMK that Decrypt opens. With IsHostedByKms 1 KMS also keeps it as a hosted data
key (layers/kms/data_keys.py) named DataKeyName (required then), with Description and Tags, and returns
its DataKeyId; otherwise DataKeyId is empty and DataKeyName, Description and Tags are ignored."""
from typing import Optional

from pydantic import Field

from layers.crypto import random_bytes
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String
from layers.kms import ciphertexts, data_keys, keys, public_encrypt, usages
from layers.kms.params import Tag, b64encode, check_tags, encryption_context

KEY_SPECS = {"AES_128": 16, "AES_256": 32}


class Input(Params):
    KeyId: String
    KeySpec: Optional[String] = None
    NumberOfBytes: Optional[int] = Field(None, ge=1, le=1024)   # plain int: the bounds apply
    EncryptionContext: Optional[String] = None
    EncryptionPublicKey: Optional[String] = None
    EncryptionAlgorithm: Optional[String] = None
    IsHostedByKms: Optional[int] = Field(None, ge=0, le=1)
    DataKeyName: Optional[String] = None
    Description: Optional[String] = None
    HsmClusterId: Optional[String] = None
    Tags: Optional[list[Tag]] = Field(None, max_length=50)


@action("GenerateDataKey", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    hosted = p.IsHostedByKms == 1
    if hosted:
        if not p.DataKeyName:
            raise ApiError("MissingParameter", "The parameter `DataKeyName` is required when IsHostedByKms is 1.")
        name = data_keys.check_name(p.DataKeyName)
        description = data_keys.check_description(p.Description)
        tags = check_tags(p.Tags)
    if p.NumberOfBytes is not None:
        size = p.NumberOfBytes
    elif p.KeySpec is not None:
        if p.KeySpec not in KEY_SPECS:
            raise ApiError("InvalidParameterValue", "The value of parameter `KeySpec` is invalid: "
                           f"must be one of {', '.join(KEY_SPECS)}.")
        size = KEY_SPECS[p.KeySpec]
    else:
        raise ApiError("MissingParameter", "One of the parameters `KeySpec` and `NumberOfBytes` is required.")
    context = encryption_context("EncryptionContext", p.EncryptionContext)
    key = keys.usable(ctx, p.KeyId, usages.SYMMETRIC, "GenerateDataKey")
    ctx.touched(key.key_id, resource_type="cmk")
    data_keys.check_cluster(key, p.HsmClusterId)
    data_key = random_bytes(size)
    sealed = public_encrypt.encrypt_for(p.EncryptionPublicKey, p.EncryptionAlgorithm, data_key)
    blob = ciphertexts.encrypt(ctx, key, data_key, context)
    data_key_id = ""
    if hosted:
        data_key_id = data_keys.host(ctx, key, name=name, description=description, tags=tags, sealed=blob,
                                     context=context, size=size, origin=data_keys.ORIGIN_KMS)["DataKeyId"]
        ctx.touched(key.key_id, resource_type="cmk")
    return {"KeyId": key.key_id, "Plaintext": b64encode(data_key if sealed is None else sealed),
            "CiphertextBlob": blob, "DataKeyId": data_key_id, "TagCode": 0, "TagMsg": ""}
