"""KMS key management through the typed KmsClient: CreateKey, DescribeKey(s), ListKeys, ListKeyDetail,
Enable/DisableKey(s), ScheduleKeyDeletion/CancelKeyDeletion, UpdateAlias, UpdateKeyDescription,
key rotation, ListAlgorithms, GetServiceStatus, with their error paths."""
import time
import uuid

import pytest

from kms_helpers import b64, kms, make_vsm  # noqa: F401 (kms is a fixture)

ASYMMETRIC = ["ASYMMETRIC_DECRYPT_RSA_2048", "ASYMMETRIC_DECRYPT_SM2", "ASYMMETRIC_SIGN_VERIFY_SM2",
              "ASYMMETRIC_SIGN_VERIFY_RSA_2048", "ASYMMETRIC_SIGN_VERIFY_ECC"]


def test_create_key_returns_and_describes_every_field(kms):
    before = int(time.time())
    r = kms.call("CreateKey", {"Alias": "orders-key", "Description": "orders", "Tags": [{"TagKey": "env", "TagValue": "prod"}]})
    assert r["Alias"] == "orders-key" and r["Description"] == "orders" and r["KeyState"] == "Enabled"
    assert r["KeyUsage"] == "ENCRYPT_DECRYPT" and r["TagCode"] == 0 and r["HsmClusterId"] == ""
    assert len(r["KeyId"]) == 36 and before <= r["CreateTime"] <= int(time.time())
    m = kms.call("DescribeKey", {"KeyId": r["KeyId"]})["KeyMetadata"]
    assert {k: m[k] for k in ("KeyId", "Alias", "CreateTime", "Description", "KeyState", "KeyUsage")} == \
        {k: r[k] for k in ("KeyId", "Alias", "CreateTime", "Description", "KeyState", "KeyUsage")}
    assert m["Type"] == 4 and m["Origin"] == "TENCENT_KMS" and m["Owner"] == "user"
    assert m["CreatorUin"] == int(kms.owner) and m["CreatorUinString"] == kms.owner
    assert m["ResourceId"] == f"creatorUin/{kms.owner}/{r['KeyId']}"
    assert m["KeyRotationEnabled"] is False and m["DeletionDate"] == 0 and m["NextRotateTime"] == 0


@pytest.mark.parametrize("usage", ASYMMETRIC)
def test_every_asymmetric_usage_can_be_created(kms, usage):
    key_id = kms.create(usage)
    m = kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]
    assert m["KeyUsage"] == usage and m["KeyState"] == "Enabled"
    assert m["Type"] == (4 if usage.endswith("SM2") else 2)


def test_create_key_refuses_bad_input(kms):
    assert kms.error("CreateKey", {"Alias": "-starts-with-dash"}) == "InvalidParameterValue.InvalidAlias"
    assert kms.error("CreateKey", {"Alias": "x" * 61}) == "InvalidParameterValue.InvalidAlias"
    assert kms.error("CreateKey", {"Alias": "has space"}) == "InvalidParameterValue.InvalidAlias"
    assert kms.error("CreateKey", {"Alias": "kms-reserved"}) == "InvalidParameterValue.InvalidAlias"
    assert kms.error("CreateKey", {"Alias": "ok", "KeyUsage": "SIGN_EVERYTHING"}) == "InvalidParameterValue.InvalidKeyUsage"
    assert kms.error("CreateKey", {"Alias": "ok", "Type": 3}) == "InvalidParameterValue.InvalidType"
    assert kms.error("CreateKey", {"Alias": "ok", "Description": "d" * 1025}) == "InvalidParameterValue"
    assert kms.error("CreateKey", {"Alias": "ok", "Tags": [{"TagKey": "a", "TagValue": "1"},
                                                           {"TagKey": "a", "TagValue": "2"}]}) == \
        "InvalidParameterValue.TagKeysDuplicated"
    assert kms.error("CreateKey", {"Alias": "ok", "HsmClusterId": "hsm-nothere"}) == \
        "InvalidParameterValue.InvalidHsmClusterId"
    assert kms.error("CreateKey", {}) == "MissingParameter"
    assert kms.call("ListKeys", {})["TotalCount"] == 0          # nothing was half-created


def test_aliases_are_unique_and_can_change(kms):
    a = kms.call("CreateKey", {"Alias": "first"})["KeyId"]
    assert kms.error("CreateKey", {"Alias": "first"}) == "InvalidParameterValue.AliasAlreadyExists"
    b = kms.call("CreateKey", {"Alias": "second"})["KeyId"]
    assert kms.error("UpdateAlias", {"KeyId": b, "Alias": "first"}) == "InvalidParameterValue.AliasAlreadyExists"
    assert kms.error("UpdateAlias", {"KeyId": b, "Alias": "kms-x"}) == "InvalidParameterValue.InvalidAlias"
    kms.call("UpdateAlias", {"KeyId": a, "Alias": "renamed"})
    assert kms.call("DescribeKey", {"KeyId": a})["KeyMetadata"]["Alias"] == "renamed"
    kms.call("CreateKey", {"Alias": "first"})                  # the old alias is free again
    kms.call("UpdateKeyDescription", {"KeyId": b, "Description": "new words"})
    assert kms.call("DescribeKey", {"KeyId": b})["KeyMetadata"]["Description"] == "new words"
    assert kms.error("UpdateKeyDescription", {"KeyId": b, "Description": "x" * 1025}) == "InvalidParameterValue"


def test_key_ids_are_checked(kms):
    assert kms.error("DescribeKey", {"KeyId": "not-a-key"}) == "InvalidParameterValue.InvalidKeyId"
    assert kms.error("DescribeKey", {"KeyId": str(uuid.uuid4())}) == "ResourceUnavailable.CmkNotFound"
    assert kms.error("DisableKey", {"KeyId": str(uuid.uuid4())}) == "ResourceUnavailable.CmkNotFound"


def test_describe_keys_lists_the_found_ones_in_order(kms):
    a, b = kms.create(), kms.create("ASYMMETRIC_SIGN_VERIFY_ECC")
    got = kms.call("DescribeKeys", {"KeyIds": [b, str(uuid.uuid4()), a]})["KeyMetadatas"]
    assert [m["KeyId"] for m in got] == [b, a]
    assert kms.error("DescribeKeys", {"KeyIds": [a, a]}) == "InvalidParameterValue.DuplicatedKeyId"
    assert kms.error("DescribeKeys", {"KeyIds": [a, "bad"]}) == "InvalidParameterValue.InvalidKeyId"
    assert kms.error("DescribeKeys", {"KeyIds": []}) == "InvalidParameterValue"
    assert kms.error("DescribeKeys", {"KeyIds": [str(uuid.uuid4()) for _ in range(101)]}) == "InvalidParameterValue"


def test_list_keys_pages_oldest_first(kms):
    ids = [kms.create() for _ in range(5)]
    first = kms.call("ListKeys", {"Offset": 0, "Limit": 3})
    rest = kms.call("ListKeys", {"Offset": 3, "Limit": 3})
    assert first["TotalCount"] == rest["TotalCount"] == 5
    assert [k["KeyId"] for k in first["Keys"] + rest["Keys"]] == ids
    assert kms.call("ListKeys", {"Role": 1})["TotalCount"] == 0
    assert kms.error("ListKeys", {"Limit": 201}) == "InvalidParameterValue"


def test_list_key_detail_filters(kms):
    sym_old = kms.call("CreateKey", {"Alias": "alpha-one", "Tags": [{"TagKey": "team", "TagValue": "pay"}]})["KeyId"]
    sym_new = kms.call("CreateKey", {"Alias": "beta-two", "Tags": [{"TagKey": "team", "TagValue": "ops"}]})["KeyId"]
    sign = kms.create("ASYMMETRIC_SIGN_VERIFY_SM2")
    kms.call("DisableKey", {"KeyId": sym_old})

    def ids(**params):
        return [m["KeyId"] for m in kms.call("ListKeyDetail", params)["KeyMetadatas"]]

    assert ids() == [sym_new, sym_old]                           # default: ENCRYPT_DECRYPT, newest first
    assert ids(OrderType=1) == [sym_old, sym_new]
    assert set(ids(KeyUsage="ALL")) == {sym_old, sym_new, sign}
    assert ids(KeyUsage="ASYMMETRIC_SIGN_VERIFY_SM2") == [sign]
    assert ids(KeyState=2) == [sym_old] and ids(KeyState=1) == [sym_new]
    assert ids(SearchKeyAlias="ALPHA") == [sym_old] and ids(SearchKeyAlias=sym_new[:8]) == [sym_new]
    assert ids(TagFilters=[{"TagKey": "team", "TagValue": ["ops"]}]) == [sym_new]
    assert set(ids(TagFilters=[{"TagKey": "team"}])) == {sym_old, sym_new}
    assert set(ids(TagFilters=[{"TagKey": "team", "TagValue": ["ops", "pay"]}])) == {sym_old, sym_new}
    twice = [{"TagKey": "team", "TagValue": ["ops"]}, {"TagKey": "team", "TagValue": ["pay"]}]
    assert kms.error("ListKeyDetail", {"TagFilters": twice}) == "InvalidParameterValue.TagKeysDuplicated"
    assert kms.error("ListKeyDetail", {"TagFilters": [{"TagKey": "team"}, {"TagKey": "team"}]}) \
        == "InvalidParameterValue.TagKeysDuplicated"
    assert ids(HsmClusterId="default") == [sym_new, sym_old] and ids(HsmClusterId="hsm-none") == []
    assert ids(Origin="EXTERNAL") == []
    page = kms.call("ListKeyDetail", {"KeyUsage": "ALL", "Offset": 1, "Limit": 1})
    assert page["TotalCount"] == 3 and len(page["KeyMetadatas"]) == 1
    assert kms.error("ListKeyDetail", {"KeyUsage": "NOPE"}) == "InvalidParameterValue"
    assert kms.error("ListKeyDetail", {"KeyState": 6}) == "InvalidParameterValue"


def test_enable_and_disable_one_and_many(kms):
    a, b = kms.create(), kms.create()
    kms.call("DisableKey", {"KeyId": a})
    assert kms.state(a) == "Disabled"
    kms.call("DisableKey", {"KeyId": a})                         # idempotent
    kms.call("EnableKey", {"KeyId": a})
    assert kms.state(a) == "Enabled"
    kms.call("DisableKeys", {"KeyIds": [a, b]})
    assert kms.state(a) == kms.state(b) == "Disabled"
    assert kms.error("EnableKeys", {"KeyIds": [a, str(uuid.uuid4())]}) == "ResourceUnavailable.CmkNotFound"
    assert kms.state(a) == "Disabled"                            # nothing changed
    assert kms.error("EnableKeys", {"KeyIds": [a, a]}) == "InvalidParameterValue.DuplicatedKeyId"
    kms.call("EnableKeys", {"KeyIds": [a, b]})
    assert kms.state(a) == kms.state(b) == "Enabled"


def test_schedule_and_cancel_deletion(kms):
    key_id = kms.create()
    blob = kms.encrypt(key_id, b"keep me")
    assert kms.error("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7}) == \
        "ResourceUnavailable.CmkShouldBeDisabled"
    kms.call("DisableKey", {"KeyId": key_id})
    for days in (6, 31):
        assert kms.error("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": days}) == \
            "InvalidParameter.InvalidPendingWindowInDays"
    assert kms.error("CancelKeyDeletion", {"KeyId": key_id}) == "ResourceUnavailable.CmkNotPendingDelete"
    before = int(time.time())
    r = kms.call("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
    assert r["KeyId"] == key_id and before + 7 * 86400 <= r["DeletionDate"] <= int(time.time()) + 7 * 86400
    m = kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]
    assert m["KeyState"] == "PendingDelete" and m["DeletionDate"] == r["DeletionDate"]
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkStateNotSupport"
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"x")}) == "ResourceUnavailable.CmkStateNotSupport"
    assert kms.error("EnableKey", {"KeyId": key_id}) == "ResourceUnavailable.CmkStateNotSupport"
    assert kms.error("DisableKeys", {"KeyIds": [key_id]}) == "ResourceUnavailable.CmkStateNotSupport"
    assert kms.error("EnableKeyRotation", {"KeyId": key_id}) == "ResourceUnavailable.CmkStateNotSupport"
    assert kms.error("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 8}) == \
        "ResourceUnavailable.CmkStateNotSupport"
    assert kms.call("CancelKeyDeletion", {"KeyId": key_id})["KeyId"] == key_id
    assert kms.state(key_id) == "Disabled"
    kms.call("EnableKey", {"KeyId": key_id})
    assert kms.decrypt(blob) == b"keep me"


def test_key_past_its_deletion_date_is_gone(kms):
    from kms_helpers import REGION
    from layers.kms import keys
    from layers.stores import kms_keys
    key_id = kms.call("CreateKey", {"Alias": "short-lived"})["KeyId"]
    blob = kms.encrypt(key_id, b"bye")
    kms.call("DisableKey", {"KeyId": key_id})
    kms.call("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
    assert kms_keys.update(kms.owner, key_id, {"DeletionDate": int(time.time()) - 1}, {"KeyState": "PendingDelete"})
    keys.forget(kms.owner, key_id)                               # as another process sees it within a second
    assert kms.error("DescribeKey", {"KeyId": key_id}) == "ResourceUnavailable.CmkNotFound"
    assert kms_keys.get(kms.owner, key_id) is None                # deleted, material and all
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkNotFound"
    assert kms.call("ListKeys", {})["TotalCount"] == 0 and kms_keys.count(kms.owner, REGION) == 0
    kms.call("CreateKey", {"Alias": "short-lived"})              # its alias went with it


def test_rotation_settings_and_rotate_key(kms):
    key_id = kms.create()
    assert kms.call("GetKeyRotationStatus", {"KeyId": key_id})["KeyRotationEnabled"] is False
    assert kms.error("RotateKey", {"KeyId": key_id}) == "UnsupportedOperation.RotateNotSupported"
    for days in (6, 366):
        assert kms.error("EnableKeyRotation", {"KeyId": key_id, "RotateDays": days}) == "InvalidParameterValue"
    now = int(time.time())
    kms.call("EnableKeyRotation", {"KeyId": key_id, "RotateDays": 30})
    m = kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]
    assert m["KeyRotationEnabled"] is True and m["RotateDays"] == 30
    assert now + 30 * 86400 <= m["NextRotateTime"] <= int(time.time()) + 30 * 86400
    assert kms.call("GetKeyRotationStatus", {"KeyId": key_id})["KeyRotationEnabled"] is True
    assert kms.call("RotateKey", {"KeyId": key_id})["TaskId"]
    assert kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]["LastRotateTime"] >= now
    assert kms.error("RotateKey", {"KeyId": key_id}) == "RequestLimitExceeded.RotateRateLimited"
    kms.call("DisableKeyRotation", {"KeyId": key_id})
    m = kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]
    assert m["KeyRotationEnabled"] is False and m["NextRotateTime"] == 0
    kms.call("EnableKeyRotation", {"KeyId": key_id})
    assert kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]["RotateDays"] == 365
    sign = kms.create("ASYMMETRIC_SIGN_VERIFY_SM2")
    assert kms.error("EnableKeyRotation", {"KeyId": sign}) == "UnsupportedOperation.RotateNotSupported"
    assert kms.call("GetKeyRotationStatus", {"KeyId": sign})["KeyRotationEnabled"] is False
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("RotateKey", {"KeyId": key_id}) == "ResourceUnavailable.CmkDisabled"


def test_member_account_of_another_account_is_refused(kms):
    key_id = kms.create()
    other = {"MemberUin": int(kms.owner) + 1}
    assert kms.error("DescribeKey", {"KeyId": key_id, "MemberAccount": other}) == \
        "UnsupportedOperation.NotRoleOperation"
    assert kms.error("DescribeKey", {"KeyId": key_id, "MemberAccount": {"MemberAppId": int(kms.acct["AppId"]) + 1}}) \
        == "UnsupportedOperation.NotRoleOperation"
    own = {"MemberUin": int(kms.owner), "MemberAppId": int(kms.acct["AppId"])}
    assert kms.call("DescribeKey", {"KeyId": key_id, "MemberAccount": own})["KeyMetadata"]["KeyId"] == key_id


def test_list_algorithms(kms):
    r = kms.call("ListAlgorithms")
    assert r["SymmetricAlgorithms"] == [{"KeyUsage": "ENCRYPT_DECRYPT", "Algorithm": "SM4"},       # AES: Guardzone's own
                                        {"KeyUsage": "ENCRYPT_DECRYPT_AES_256", "Algorithm": "AES_256"},
                                        {"KeyUsage": "ENCRYPT_DECRYPT_AES_128", "Algorithm": "AES_128"}]
    assert {a["KeyUsage"] for a in r["AsymmetricAlgorithms"]} == {
        "ASYMMETRIC_DECRYPT_RSA_2048", "ASYMMETRIC_DECRYPT_SM2",
        "ASYMMETRIC_DECRYPT_ML_KEM_768", "ASYMMETRIC_DECRYPT_ML_KEM_1024"}       # post-quantum: test_kms_pqc.py
    assert {(a["KeyUsage"], a["Algorithm"]) for a in r["AsymmetricSignVerifyAlgorithms"]} == {
        ("ASYMMETRIC_SIGN_VERIFY_SM2", "SM2"), ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_2048"),
        ("ASYMMETRIC_SIGN_VERIFY_ECC", "ECC"), ("ASYMMETRIC_SIGN_VERIFY_ML_DSA_44", "ML_DSA_44"),
        ("ASYMMETRIC_SIGN_VERIFY_ML_DSA_65", "ML_DSA_65"), ("ASYMMETRIC_SIGN_VERIFY_ML_DSA_87", "ML_DSA_87")}


def test_service_status_counts_keys_and_vsms(kms):
    kms.create()
    vsm = make_vsm(kms.owner)
    s = kms.call("GetServiceStatus")
    assert s["ServiceEnabled"] is True and s["InvalidType"] == 1
    assert s["CmkUserCount"] == 1 and s["CmkLimit"] == 200
    assert s["ExclusiveHSMEnabled"] is True
    assert s["ExclusiveHSMList"] == [{"HsmClusterId": vsm["ResourceId"], "HsmClusterName": vsm["ResourceName"]}]


def test_key_limit(stack):
    from kms_helpers import Kms, new_account
    from layers.kms import keys
    k = Kms(stack.endpoint, new_account())
    original = keys.KEY_LIMIT
    keys.KEY_LIMIT = 2
    try:
        k.create()
        k.create()
        assert k.error("CreateKey", {"Alias": "third"}) == "LimitExceeded.CmkLimitExceeded"
    finally:
        keys.KEY_LIMIT = original
