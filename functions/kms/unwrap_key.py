"""UnwrapKey (Guardzone's own action, not in the SDK): WrappedKey (base64, AES_KEY_WRAP or AES_KEY_WRAP_PAD
under the AES key KeyId) unwrapped in the service and kept as a new EXTERNAL key of KeyUsage
(ENCRYPT_DECRYPT, ENCRYPT_DECRYPT_AES_256 or _128), Enabled, in the VSM HsmClusterId names (else the
account's default key domain). Answers like CreateKey (layers/kms/wrapped_keys.py)."""
from typing import Optional

from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params, String
from layers.kms import wrapped_keys


class Input(Params):
    KeyId: String
    Algorithm: String
    WrappedKey: String
    KeyUsage: String
    Alias: String
    Description: Optional[String] = None
    HsmClusterId: Optional[String] = None


@action("UnwrapKey", Input, region=REGION_OPTIONAL, resource_type="cmk", secret_params=("WrappedKey",))
def handle(p: Input, ctx: RequestContext) -> dict:
    doc = wrapped_keys.unwrap(ctx, p.KeyId, p.Algorithm, p.WrappedKey, p.KeyUsage, p.Alias, p.Description,
                              p.HsmClusterId or "")
    return {"KeyId": doc["KeyId"], "Alias": doc["Alias"], "CreateTime": doc["CreateTime"],
            "Description": doc["Description"], "KeyState": doc["KeyState"], "KeyUsage": doc["KeyUsage"],
            "HsmClusterId": doc["HsmClusterId"]}
