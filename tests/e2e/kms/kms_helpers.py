"""KMS test helpers: the typed KmsClient called with plain dicts, fresh accounts, VSM records."""
import base64
import json
import secrets
import time
import uuid

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.kms.v20190118 import kms_client, models

from helpers import credential_of, profile

REGION = "ap-guangzhou"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def new_account(name: str = "kms") -> dict:
    """An account whose rate limit does not get in a test's way."""
    from layers import identity
    a = identity.create_account(name, rate_limit=10000)
    return {**a, **identity.create_key(a["OwnerUin"])}


class Kms:
    """The typed KmsClient: .call("Encrypt", {...}) -> response dict; .error(...) -> error code."""

    def __init__(self, endpoint: str, acct: dict, region: str = REGION) -> None:
        self.acct = acct
        self.client = kms_client.KmsClient(credential_of(acct), region, profile(endpoint))

    @property
    def owner(self) -> str:
        return self.acct["OwnerUin"]

    def call(self, action: str, params: dict = None) -> dict:
        request = getattr(models, f"{action}Request")()
        request.from_json_string(json.dumps(params or {}))
        return json.loads(getattr(self.client, action)(request).to_json_string())

    def error(self, action: str, params: dict = None) -> str:
        try:
            self.call(action, params)
        except TencentCloudSDKException as exc:
            return exc.code
        raise AssertionError(f"{action} succeeded")

    def create(self, usage: str = "ENCRYPT_DECRYPT", **extra) -> str:
        params = {"Alias": f"k-{uuid.uuid4().hex[:12]}", "KeyUsage": usage, **extra}
        return self.call("CreateKey", params)["KeyId"]

    def encrypt(self, key_id: str, data: bytes, context: str = None) -> str:
        params = {"KeyId": key_id, "Plaintext": b64(data)}
        if context is not None:
            params["EncryptionContext"] = context
        return self.call("Encrypt", params)["CiphertextBlob"]

    def decrypt(self, blob: str, context: str = None) -> bytes:
        params = {"CiphertextBlob": blob}
        if context is not None:
            params["EncryptionContext"] = context
        return unb64(self.call("Decrypt", params)["Plaintext"])

    def state(self, key_id: str) -> str:
        return self.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]["KeyState"]


@pytest.fixture
def kms(stack) -> Kms:
    return Kms(stack.endpoint, new_account())


def make_vsm(owner: str, region: str = REGION) -> dict:
    """A VSM record as CloudHSM's CreateResource stores it (no network needed)."""
    from layers.stores import vsm as store
    rid = "hsm-" + secrets.token_hex(4)
    vsm = {"ResourceId": rid, "ResourceName": f"name-{rid}", "OwnerUin": owner, "CreateUin": owner, "Region": region,
           "ZoneId": 100003, "VpcId": "vpc-kmstest", "SubnetId": f"subnet-{rid}", "Vip": "10.0.1.4", "VsmType": 17,
           "Manufacturer": "TASS", "Model": "TASS EHSM", "PayMode": 0, "RenewFlag": 0,
           "CreatedAt": int(time.time() * 1000), "SgIds": [], "Tags": [], "BillId": "b", "DealName": "d"}
    _, limit = store.quota(owner)
    store.create(owner, [vsm], limit)
    return vsm


def raw_item(owner: str, sk: str) -> dict:
    """An item of the keystore table exactly as DynamoDB holds it."""
    from layers.stores import keystore_table as t
    return t.ddb().get_item(TableName=t.table_name(), Key=t.key(owner, sk), ConsistentRead=True).get("Item")


def put_raw_item(item: dict) -> None:
    from layers.stores import keystore_table as t
    t.ddb().put_item(TableName=t.table_name(), Item=item)
