"""Decrypt: open a CiphertextBlob (any version of its CMK); optionally return the plaintext
encrypted to the caller's EncryptionPublicKey."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import ciphertexts, public_encrypt
from layers.kms.params import b64encode, encryption_context


class Input(Params):
    CiphertextBlob: String
    EncryptionContext: Optional[String] = None
    EncryptionPublicKey: Optional[String] = None
    EncryptionAlgorithm: Optional[String] = None


@action("Decrypt", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    context = encryption_context("EncryptionContext", p.EncryptionContext)
    key, plaintext, _ = ciphertexts.decrypt(ctx, p.CiphertextBlob, context, "Decrypt")
    sealed = public_encrypt.encrypt_for(p.EncryptionPublicKey, p.EncryptionAlgorithm, plaintext)
    return {"KeyId": key.key_id, "Plaintext": b64encode(plaintext if sealed is None else sealed)}
