"""GetDataKeyPlaintext: an Enabled hosted data key in the clear, or encrypted to the caller's
EncryptionPublicKey (EncryptionAlgorithm SM2 by default), as Decrypt does. Its CMK must be in a state
that decrypts (Enabled or Archived)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import data_keys, public_encrypt
from layers.kms.params import b64encode


class Input(Params):
    DataKeyId: String
    EncryptionPublicKey: Optional[String] = None
    EncryptionAlgorithm: Optional[String] = None


@action("GetDataKeyPlaintext", Input, region=REGION_OPTIONAL, resource_type="datakey")
def handle(p: Input, ctx: RequestContext) -> dict:
    data_key = data_keys.readable(ctx, p.DataKeyId)
    plaintext = data_keys.plaintext(ctx, data_key)
    sealed = public_encrypt.encrypt_for(p.EncryptionPublicKey, p.EncryptionAlgorithm, plaintext)
    return {"Plaintext": b64encode(plaintext if sealed is None else sealed)}
