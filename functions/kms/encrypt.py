"""Encrypt: up to 4 KB under a symmetric CMK; the CiphertextBlob names the key and its version."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import ciphertexts, errors, keys, usages
from layers.kms.params import b64decode, encryption_context


class Input(Params):
    KeyId: String
    Plaintext: String
    EncryptionContext: Optional[String] = None


@action("Encrypt", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    plaintext = b64decode("Plaintext", p.Plaintext, code="InvalidParameterValue.InvalidPlaintext")
    if not 1 <= len(plaintext) <= ciphertexts.MAX_PLAINTEXT:
        raise errors.invalid_plaintext(f"it must be 1 to {ciphertexts.MAX_PLAINTEXT} bytes before base64 encoding")
    context = encryption_context("EncryptionContext", p.EncryptionContext)
    key = keys.usable(ctx, p.KeyId, usages.SYMMETRIC, "Encrypt")
    ctx.touched(key.key_id, resource_type="cmk")
    return {"CiphertextBlob": ciphertexts.encrypt(ctx, key, plaintext, context), "KeyId": key.key_id}
