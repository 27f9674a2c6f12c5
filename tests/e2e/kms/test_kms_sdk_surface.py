"""The official SDK's KMS request and response models, field by field, through the typed KmsClient:
every request field of an implemented action is accepted, and every response field comes back
(the SDK leaves a field it did not receive as null)."""
import json

from kms_helpers import b64, kms  # noqa: F401 (kms is a fixture)
from layers.config import settings


def nulls(value, path="") -> list:
    """The paths of the fields the server left out (null after the SDK's deserialisation)."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls(v, f"{path}[{i}]")]
    return []


def test_rotate_key_accepts_member_account(kms):
    key_id = kms.create()
    kms.call("EnableKeyRotation", {"KeyId": key_id})
    own = {"MemberUin": int(kms.owner), "MemberAppId": int(kms.acct["AppId"])}
    assert kms.call("RotateKey", {"KeyId": key_id, "MemberAccount": own})["TaskId"]
    other = {"MemberUin": int(kms.owner) + 1}
    assert kms.error("RotateKey", {"KeyId": key_id, "MemberAccount": other}) == \
        "UnsupportedOperation.NotRoleOperation"


def test_key_metadata_names_the_account(kms):
    key_id = kms.create()
    for m in (kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"],
              kms.call("DescribeKeys", {"KeyIds": [key_id]})["KeyMetadatas"][0],
              kms.call("ListKeyDetail", {})["KeyMetadatas"][0]):
        assert nulls(m) == []
        assert m["AccountUin"] == int(kms.owner) and m["AccountAppId"] == int(kms.acct["AppId"])
        assert m["AccountName"] == kms.acct["Name"]
        assert m["Origin"] == "TENCENT_KMS" and m["ValidTo"] == 0


def test_get_service_status_returns_every_field(kms):
    s = kms.call("GetServiceStatus")
    assert nulls(s) == []
    assert s["ProExpireTime"] == 0 and s["ProRenewFlag"] == 0 and s["ProResourceId"] == ""
    assert s["QpsLimit"] == 10000 == s["QpsTotalLimit"]          # the test account's own limit
    assert s["RegionsQps"] == [{"Region": "ap-guangzhou", "Qps": 10000}]
    assert s["ResourceZone"] == 0 and s["ResourceRegion"] == 0


def test_get_service_status_default_limit(stack):
    from helpers import credential_of  # noqa: F401
    from kms_helpers import Kms
    from layers import identity
    a = identity.create_account("kms-default-limit")
    client = Kms(stack.endpoint, {**a, **identity.create_key(a["OwnerUin"])})
    assert client.call("GetServiceStatus")["QpsLimit"] == settings().default_rate_limit


def test_generate_data_key_returns_every_field(kms):
    key_id = kms.create()
    r = kms.call("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256"})
    assert nulls(r) == []
    assert r["DataKeyId"] == "" and r["TagCode"] == 0 and r["TagMsg"] == ""


def test_implemented_responses_have_no_missing_fields(kms):
    sym = kms.create()
    sign = kms.create("ASYMMETRIC_SIGN_VERIFY_SM2")
    blob = kms.encrypt(sym, b"abc")
    kms.call("EnableKeyRotation", {"KeyId": sym})
    calls = [("CreateKey", {"Alias": "surface-all"}), ("ListKeys", {}), ("ListAlgorithms", {}),
             ("GetPublicKey", {"KeyId": sign}), ("Decrypt", {"CiphertextBlob": blob}),
             ("Encrypt", {"KeyId": sym, "Plaintext": b64(b"x")}), ("ReEncrypt", {"CiphertextBlob": blob}),
             ("GetKeyRotationStatus", {"KeyId": sym}), ("RotateKey", {"KeyId": sym}),
             ("SignByAsymmetricKey", {"KeyId": sign, "Algorithm": "SM2DSA", "Message": b64(b"m")}),
             ("GenerateRandom", {"NumberOfBytes": 8})]
    for action, params in calls:
        assert nulls(kms.call(action, params)) == [], action
    r = kms.call("SignByAsymmetricKey", {"KeyId": sign, "Algorithm": "SM2DSA", "Message": b64(b"m")})
    v = kms.call("VerifyByAsymmetricKey", {"KeyId": sign, "Algorithm": "SM2DSA", "Message": b64(b"m"),
                                           "SignatureValue": r["Signature"]})
    assert nulls(v) == [] and v["SignatureValid"] is True
    json.dumps(v)
