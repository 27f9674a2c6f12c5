"""ReEncrypt: open a CiphertextBlob and encrypt its plaintext again, under DestinationKeyId or under
the current version of its own CMK. The plaintext never leaves the service. Without rotation, a new
context or another key, the original blob comes back with ReEncrypted false."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import ciphertexts, errors, keys, usages
from layers.kms.params import encryption_context


class Input(Params):
    CiphertextBlob: String
    DestinationKeyId: Optional[String] = None
    SourceEncryptionContext: Optional[String] = None
    DestinationEncryptionContext: Optional[String] = None


@action("ReEncrypt", Input, region=REGION_OPTIONAL, resource_type="cmk")
def handle(p: Input, ctx: RequestContext) -> dict:
    source_context = encryption_context("SourceEncryptionContext", p.SourceEncryptionContext)
    destination_context = encryption_context("DestinationEncryptionContext", p.DestinationEncryptionContext)
    source, plaintext, parsed = ciphertexts.decrypt(ctx, p.CiphertextBlob, source_context, "ReEncrypt")
    if p.DestinationKeyId and p.DestinationKeyId != source.key_id:
        destination = keys.usable(ctx, p.DestinationKeyId, usages.SYMMETRIC, "ReEncrypt")
        ctx.touched(destination.key_id, resource_type="cmk")
    else:
        destination = source
    if destination.state == keys.ARCHIVED and not (destination is source and destination.current == parsed.version
                                                   and destination_context == source_context):
        raise errors.cmk_archived(destination.key_id, "ReEncrypt")
    if (destination is source and keys.current_version(source) == parsed.version
            and destination_context == source_context):
        return {"CiphertextBlob": p.CiphertextBlob, "KeyId": source.key_id, "SourceKeyId": source.key_id,
                "ReEncrypted": False}
    return {"CiphertextBlob": ciphertexts.encrypt(ctx, destination, plaintext, destination_context),
            "KeyId": destination.key_id, "SourceKeyId": source.key_id, "ReEncrypted": True}
