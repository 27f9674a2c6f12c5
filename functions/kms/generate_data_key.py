"""GenerateDataKey: a fresh data key, in the clear (or encrypted to EncryptionPublicKey) and as a
CiphertextBlob under the CMK that Decrypt opens. Data keys are not hosted (IsHostedByKms 0 only), so
DataKeyId (returned only for hosted data keys) is empty, and DataKeyName, Description and Tags, which
describe a hosted data key, have nothing to apply to (TagCode 0)."""
from typing import Optional

from pydantic import Field

from layers.crypto import random_bytes
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String
from layers.kms import ciphertexts, errors, keys, public_encrypt, usages
from layers.kms.params import Tag, b64encode, encryption_context

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
    Tags: Optional[list[Tag]] = None


@action("GenerateDataKey", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    if p.IsHostedByKms == 1:
        raise ApiError("UnsupportedOperation", "Hosted data keys (IsHostedByKms 1) are not offered; "
                       "keep the CiphertextBlob and use Decrypt.")
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
    if p.HsmClusterId and p.HsmClusterId != key.doc.get("HsmClusterId"):
        raise errors.invalid_hsm_cluster(p.HsmClusterId, f"CMK `{key.key_id}` is not held by it")
    data_key = random_bytes(size)
    sealed = public_encrypt.encrypt_for(p.EncryptionPublicKey, p.EncryptionAlgorithm, data_key)
    return {"KeyId": key.key_id, "Plaintext": b64encode(data_key if sealed is None else sealed),
            "CiphertextBlob": ciphertexts.encrypt(ctx, key, data_key, context), "DataKeyId": "",
            "TagCode": 0, "TagMsg": ""}
