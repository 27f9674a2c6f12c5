"""Hosted data keys through the typed KmsClient: GenerateDataKey with IsHostedByKms 1, ImportDataKey,
DescribeDataKey(s), ListDataKeys, ListDataKeyDetail, Enable/DisableDataKey(s), GetDataKeyPlaintext,
GetDataKeyCiphertextBlob, Schedule/CancelDataKeyDeletion, UpdateDataKeyName/Description; state rules,
deletion when due, tenancy, and one tccli call."""
import json
import subprocess
import time
import uuid
from pathlib import Path

from kms_helpers import REGION, Kms, b64, kms, make_vsm, new_account, unb64  # noqa: F401 (kms is a fixture)

from layers.crypto import sm2

ROOT = Path(__file__).resolve().parents[3]


def hosted(kms, key_id: str, name: str = None, **extra) -> dict:
    params = {"KeyId": key_id, "KeySpec": "AES_256", "IsHostedByKms": 1,
              "DataKeyName": name or f"dk-{uuid.uuid4().hex[:10]}", **extra}
    return kms.call("GenerateDataKey", params)


def test_generated_hosted_data_key_reads_back(kms):
    key_id = kms.call("CreateKey", {"Alias": "root-of-dks"})["KeyId"]
    before = int(time.time())
    r = hosted(kms, key_id, "orders-dk", Description="orders", EncryptionContext='{"app": "orders"}',
               Tags=[{"TagKey": "env", "TagValue": "prod"}])
    data_key = unb64(r["Plaintext"])
    assert len(data_key) == 32 and r["KeyId"] == key_id and r["TagCode"] == 0
    assert str(uuid.UUID(r["DataKeyId"])) == r["DataKeyId"]
    m = kms.call("DescribeDataKey", {"DataKeyId": r["DataKeyId"]})["DataKeyMetadata"]
    assert {k: m[k] for k in ("DataKeyId", "KeyId", "KeyName", "DataKeyName", "NumberOfBytes", "Description",
                              "KeyState", "Owner", "DeletionDate", "Origin", "HsmClusterId")} == {
        "DataKeyId": r["DataKeyId"], "KeyId": key_id, "KeyName": "root-of-dks", "DataKeyName": "orders-dk",
        "NumberOfBytes": 32, "Description": "orders", "KeyState": "Enabled", "Owner": "user", "DeletionDate": 0,
        "Origin": "TENCENT_KMS", "HsmClusterId": ""}
    assert before <= m["CreateTime"] <= int(time.time())
    assert m["CreatorUin"] == int(kms.owner) and m["CreatorUinString"] == kms.owner
    assert m["ResourceId"] == f"creatorUin/{kms.owner}/{r['DataKeyId']}" and m["AccountUin"] == int(kms.owner)
    assert unb64(kms.call("GetDataKeyPlaintext", {"DataKeyId": r["DataKeyId"]})["Plaintext"]) == data_key
    blob = kms.call("GetDataKeyCiphertextBlob", {"DataKeyId": r["DataKeyId"]})["CiphertextBlob"]
    assert blob == r["CiphertextBlob"] and kms.decrypt(blob, '{"app": "orders"}') == data_key
    # the plaintext encrypted to the caller's own SM2 public key, as Decrypt does
    mine = sm2.SM2PrivateKey.generate()
    pem = mine.public_key.to_pem().decode()
    sealed = kms.call("GetDataKeyPlaintext", {"DataKeyId": r["DataKeyId"], "EncryptionPublicKey": pem})["Plaintext"]
    assert mine.decrypt(unb64(sealed)) == data_key
    der = kms.call("GetDataKeyPlaintext", {"DataKeyId": r["DataKeyId"], "EncryptionPublicKey": pem,
                                           "EncryptionAlgorithm": "SM2_C1C3C2_ASN1"})["Plaintext"]
    assert mine.decrypt(sm2.ciphertext_from_der(unb64(der))) == data_key
    assert kms.error("GetDataKeyPlaintext", {"DataKeyId": r["DataKeyId"], "EncryptionPublicKey": pem,
                                             "EncryptionAlgorithm": "ROT13"}) == "InvalidParameterValue"
    # not hosted: no DataKeyId, nothing kept
    plain = kms.call("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_128", "DataKeyName": "ignored"})
    assert plain["DataKeyId"] == ""
    assert kms.call("ListDataKeys", {})["TotalCount"] == 1


def test_generate_hosted_refuses_bad_input_and_keeps_nothing(kms):
    key_id = kms.create()
    base = {"KeyId": key_id, "KeySpec": "AES_256", "IsHostedByKms": 1}
    assert kms.error("GenerateDataKey", base) == "MissingParameter"
    for bad in ("-dash", "has space", "x" * 61):
        assert kms.error("GenerateDataKey", {**base, "DataKeyName": bad}) == "InvalidParameterValue.InvalidDataKeyName"
    assert kms.error("GenerateDataKey", {**base, "DataKeyName": "ok", "Description": "字" * 34}) == \
        "InvalidParameterValue"                                  # 102 bytes
    assert kms.error("GenerateDataKey", {**base, "DataKeyName": "ok", "Tags": [
        {"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}]}) == "InvalidParameterValue.TagKeysDuplicated"
    assert kms.error("GenerateDataKey", {**base, "DataKeyName": "ok", "HsmClusterId": "hsm-other"}) == \
        "InvalidParameterValue.InvalidHsmClusterId"
    assert kms.call("ListDataKeys", {})["TotalCount"] == 0
    hosted(kms, key_id, "taken")
    assert kms.error("GenerateDataKey", {**base, "DataKeyName": "taken"}) == \
        "InvalidParameterValue.DataKeyNameAlreadyExists"
    assert kms.call("ListDataKeys", {})["TotalCount"] == 1
    sign = kms.create("ASYMMETRIC_SIGN_VERIFY_SM2")
    assert kms.error("GenerateDataKey", {**base, "KeyId": sign, "DataKeyName": "ok"}) == \
        "InvalidParameterValue.InvalidKeyUsage"


def test_data_key_limit(kms):
    from layers.kms import data_keys
    from layers.stores import data_keys as store
    from layers.stores import keystore_table as t
    key_id = kms.create()
    t.ddb().put_item(TableName=t.table_name(), Item={**t.key(kms.owner, store.count_sort(REGION)),
                                                      "Count": {"N": str(data_keys.DATA_KEY_LIMIT)}})
    assert kms.error("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256", "IsHostedByKms": 1,
                                         "DataKeyName": "one-too-many"}) == "LimitExceeded.DataKeyLimitExceeded"
    assert kms.call("ListDataKeys", {})["TotalCount"] == 0


def test_import_data_key_both_ways(stack, kms, audit):
    key_id, other = kms.create(), kms.create()
    secret = bytes(range(24))
    r = kms.call("ImportDataKey", {"DataKeyName": "plain-in", "ImportKeyMaterial": b64(secret), "ImportType": 2,
                                   "KeyId": key_id, "Description": "brought"})
    assert r["KeyId"] == key_id and r["TagCode"] == 0
    assert audit.by_request(r["RequestId"])["RequestParameters"]["ImportKeyMaterial"] == "******"
    assert unb64(kms.call("GetDataKeyPlaintext", {"DataKeyId": r["DataKeyId"]})["Plaintext"]) == secret
    blob = kms.call("GetDataKeyCiphertextBlob", {"DataKeyId": r["DataKeyId"]})["CiphertextBlob"]
    assert kms.decrypt(blob) == secret
    m = kms.call("DescribeDataKey", {"DataKeyId": r["DataKeyId"]})["DataKeyMetadata"]
    assert m["Origin"] == "EXTERNAL" and m["NumberOfBytes"] == 24 and m["Description"] == "brought"
    # a CiphertextBlob of this KMS, kept as it is
    g = kms.call("GenerateDataKey", {"KeyId": other, "NumberOfBytes": 48})
    c = kms.call("ImportDataKey", {"DataKeyName": "blob-in", "ImportKeyMaterial": g["CiphertextBlob"], "ImportType": 1})
    assert c["KeyId"] == other
    assert kms.call("GetDataKeyCiphertextBlob", {"DataKeyId": c["DataKeyId"]})["CiphertextBlob"] == g["CiphertextBlob"]
    assert kms.call("GetDataKeyPlaintext", {"DataKeyId": c["DataKeyId"]})["Plaintext"] == g["Plaintext"]
    assert kms.call("DescribeDataKey", {"DataKeyId": c["DataKeyId"]})["DataKeyMetadata"]["NumberOfBytes"] == 48
    # refusals
    base = {"DataKeyName": "x", "ImportType": 1, "ImportKeyMaterial": g["CiphertextBlob"]}
    assert kms.error("ImportDataKey", {**base, "KeyId": key_id}) == "InvalidParameterValue.InvalidCiphertext"
    bound = kms.call("GenerateDataKey", {"KeyId": other, "KeySpec": "AES_128", "EncryptionContext": '{"a":"1"}'})
    assert kms.error("ImportDataKey", {**base, "ImportKeyMaterial": bound["CiphertextBlob"]}) == \
        "InvalidParameterValue.InvalidCiphertext"
    assert kms.error("ImportDataKey", {**base, "ImportKeyMaterial": "bm90IGEgYmxvYg=="}) == \
        "InvalidParameterValue.InvalidCiphertext"
    assert kms.error("ImportDataKey", {**base, "ImportType": 3}) == "InvalidParameterValue"
    assert kms.error("ImportDataKey", {**base, "DataKeyName": "plain-in"}) == \
        "InvalidParameterValue.DataKeyNameAlreadyExists"
    plain = {"DataKeyName": "y", "ImportType": 2, "ImportKeyMaterial": b64(secret)}
    assert kms.error("ImportDataKey", plain) == "MissingParameter"
    assert kms.error("ImportDataKey", {**plain, "KeyId": key_id, "ImportKeyMaterial": b64(b"k" * 1025)}) == \
        "InvalidParameterValue.InvalidImportKeyMaterial"
    assert kms.error("ImportDataKey", {**plain, "KeyId": key_id, "ImportKeyMaterial": "%%%"}) == \
        "InvalidParameterValue.InvalidImportKeyMaterial"
    assert kms.error("ImportDataKey", {**plain, "KeyId": str(uuid.uuid4())}) == "ResourceUnavailable.CmkNotFound"
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("ImportDataKey", {**plain, "KeyId": key_id}) == "ResourceUnavailable.CmkDisabled"
    assert kms.call("ListDataKeys", {})["TotalCount"] == 2


def test_states_of_data_key_and_cmk(kms):
    key_id = kms.create()
    a, b = hosted(kms, key_id)["DataKeyId"], hosted(kms, key_id)["DataKeyId"]
    kms.call("DisableDataKey", {"DataKeyId": a})
    assert kms.call("DescribeDataKey", {"DataKeyId": a})["DataKeyMetadata"]["KeyState"] == "Disabled"
    assert kms.error("GetDataKeyPlaintext", {"DataKeyId": a}) == "ResourceUnavailable.DataKeyDisabled"
    assert kms.error("GetDataKeyCiphertextBlob", {"DataKeyId": a}) == "ResourceUnavailable.DataKeyDisabled"
    kms.call("EnableDataKey", {"DataKeyId": a})
    assert kms.call("GetDataKeyPlaintext", {"DataKeyId": a})["Plaintext"]
    # batches: checked whole before any change
    missing = str(uuid.uuid4())
    assert kms.error("DisableDataKeys", {"DataKeyIds": [a, missing]}) == "ResourceUnavailable.DataKeyNotFound"
    assert kms.error("DisableDataKeys", {"DataKeyIds": [a, a]}) == "InvalidParameterValue.DuplicatedDataKeyId"
    assert kms.error("DisableDataKeys", {"DataKeyIds": [a, "nope"]}) == "InvalidParameterValue.InvalidDataKeyId"
    assert kms.call("DescribeDataKey", {"DataKeyId": a})["DataKeyMetadata"]["KeyState"] == "Enabled"
    kms.call("DisableDataKeys", {"DataKeyIds": [a, b]})
    got = kms.call("DescribeDataKeys", {"DataKeyIds": [b, missing, a]})["DataKeyMetadatas"]
    assert [(m["DataKeyId"], m["KeyState"]) for m in got] == [(b, "Disabled"), (a, "Disabled")]
    kms.call("EnableDataKeys", {"DataKeyIds": [a, b]})
    assert kms.error("DescribeDataKey", {"DataKeyId": missing}) == "ResourceUnavailable.DataKeyNotFound"
    assert kms.error("DescribeDataKey", {"DataKeyId": "dk-1"}) == "InvalidParameterValue.InvalidDataKeyId"
    # the CMK's state: a disabled or pending CMK does not open its data keys; the blob is still given
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("GetDataKeyPlaintext", {"DataKeyId": a}) == "ResourceUnavailable.CmkDisabled"
    assert kms.call("GetDataKeyCiphertextBlob", {"DataKeyId": a})["CiphertextBlob"]
    kms.call("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
    assert kms.error("GetDataKeyPlaintext", {"DataKeyId": a}) == "ResourceUnavailable.CmkStateNotSupport"
    kms.call("CancelKeyDeletion", {"KeyId": key_id})
    kms.call("EnableKey", {"KeyId": key_id})
    kms.call("ArchiveKey", {"KeyId": key_id})                   # an archived CMK still decrypts
    assert kms.call("GetDataKeyPlaintext", {"DataKeyId": a})["Plaintext"]


def test_data_keys_of_a_deleted_cmk_stay_but_do_not_open(kms):
    from layers.kms import keys
    from layers.stores import kms_keys
    key_id = kms.create()
    dk = hosted(kms, key_id)["DataKeyId"]
    kms.call("DisableKey", {"KeyId": key_id})
    kms.call("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
    assert kms_keys.update(kms.owner, key_id, {"DeletionDate": int(time.time()) - 1}, {"KeyState": "PendingDelete"})
    keys.forget(kms.owner, key_id)
    assert kms.error("GetDataKeyPlaintext", {"DataKeyId": dk}) == "ResourceUnavailable.CmkNotFound"
    m = kms.call("DescribeDataKey", {"DataKeyId": dk})["DataKeyMetadata"]
    assert m["KeyId"] == key_id and m["KeyName"] == "" and m["KeyState"] == "Enabled"
    kms.call("ScheduleDataKeyDeletion", {"DataKeyId": dk, "PendingWindowInDays": 7})


def test_schedule_cancel_and_deletion_when_due(kms):
    from layers.kms import maintenance
    from layers.stores import data_keys as store
    key_id = kms.create()
    a = hosted(kms, key_id, "doomed")["DataKeyId"]
    b = hosted(kms, key_id, "swept")["DataKeyId"]
    for days in (6, 31):
        assert kms.error("ScheduleDataKeyDeletion", {"DataKeyId": a, "PendingWindowInDays": days}) == \
            "InvalidParameter.InvalidPendingWindowInDays"
    assert kms.error("CancelDataKeyDeletion", {"DataKeyId": a}) == "ResourceUnavailable.DataKeyNotPendingDelete"
    before = int(time.time())
    r = kms.call("ScheduleDataKeyDeletion", {"DataKeyId": a, "PendingWindowInDays": 7})
    assert r["DataKeyId"] == a and before + 7 * 86400 <= r["DeletionDate"] <= int(time.time()) + 7 * 86400
    m = kms.call("DescribeDataKey", {"DataKeyId": a})["DataKeyMetadata"]
    assert m["KeyState"] == "PendingDelete" and m["DeletionDate"] == r["DeletionDate"]
    assert kms.error("GetDataKeyPlaintext", {"DataKeyId": a}) == "ResourceUnavailable.DataKeyPendingDelete"
    assert kms.error("GetDataKeyCiphertextBlob", {"DataKeyId": a}) == "ResourceUnavailable.DataKeyPendingDelete"
    assert kms.error("EnableDataKey", {"DataKeyId": a}) == "ResourceUnavailable.DataKeyStateNotSupport"
    assert kms.error("DisableDataKeys", {"DataKeyIds": [b, a]}) == "ResourceUnavailable.DataKeyStateNotSupport"
    assert kms.error("ScheduleDataKeyDeletion", {"DataKeyId": a, "PendingWindowInDays": 8}) == \
        "ResourceUnavailable.DataKeyPendingDelete"
    assert kms.call("CancelDataKeyDeletion", {"DataKeyId": a})["DataKeyId"] == a
    m = kms.call("DescribeDataKey", {"DataKeyId": a})["DataKeyMetadata"]
    assert m["KeyState"] == "Disabled" and m["DeletionDate"] == 0
    # past the deletion date: gone on sight, its name free again
    kms.call("ScheduleDataKeyDeletion", {"DataKeyId": a, "PendingWindowInDays": 7})
    assert store.update(kms.owner, a, {"DeletionDate": int(time.time()) - 1}, {"KeyState": "PendingDelete"})
    assert kms.error("DescribeDataKey", {"DataKeyId": a}) == "ResourceUnavailable.DataKeyNotFound"
    assert store.get(kms.owner, a) is None and store.count(kms.owner, REGION) == 1
    hosted(kms, key_id, "doomed")
    # ... or by the hourly sweep
    kms.call("ScheduleDataKeyDeletion", {"DataKeyId": b, "PendingWindowInDays": 30})
    assert store.update(kms.owner, b, {"DeletionDate": int(time.time()) - 1}, {"KeyState": "PendingDelete"})
    assert maintenance.run()["deleted"] >= 1
    assert store.get(kms.owner, b) is None
    assert [d["DataKeyName"] for d in kms.call("ListDataKeyDetail", {})["DataKeyMetadatas"]] == ["doomed"]


def test_update_name_and_description(kms):
    key_id = kms.create()
    a = hosted(kms, key_id, "first", Description="one")["DataKeyId"]
    hosted(kms, key_id, "second")
    assert kms.error("UpdateDataKeyName", {"DataKeyId": a, "DataKeyName": "second"}) == \
        "InvalidParameterValue.DataKeyNameAlreadyExists"
    assert kms.error("UpdateDataKeyName", {"DataKeyId": a, "DataKeyName": "bad name"}) == \
        "InvalidParameterValue.InvalidDataKeyName"
    kms.call("UpdateDataKeyName", {"DataKeyId": a, "DataKeyName": "renamed"})
    assert kms.call("DescribeDataKey", {"DataKeyId": a})["DataKeyMetadata"]["DataKeyName"] == "renamed"
    hosted(kms, key_id, "first")                                # the old name is free again
    kms.call("UpdateDataKeyDescription", {"DataKeyId": a, "Description": "new words"})
    assert kms.call("DescribeDataKey", {"DataKeyId": a})["DataKeyMetadata"]["Description"] == "new words"
    assert kms.error("UpdateDataKeyDescription", {"DataKeyId": a, "Description": "x" * 101}) == "InvalidParameterValue"
    assert kms.error("UpdateDataKeyDescription", {"DataKeyId": str(uuid.uuid4()), "Description": "x"}) == \
        "ResourceUnavailable.DataKeyNotFound"


def test_list_data_keys_and_detail_filters(kms):
    k1, k2 = kms.create(), kms.create()
    a = hosted(kms, k1, "alpha-one", Tags=[{"TagKey": "env", "TagValue": "prod"}])["DataKeyId"]
    b = kms.call("ImportDataKey", {"DataKeyName": "beta", "ImportKeyMaterial": b64(b"k" * 16), "ImportType": 2,
                                   "KeyId": k2, "Tags": [{"TagKey": "env", "TagValue": "dev"}]})["DataKeyId"]
    c = hosted(kms, k1, "alpha-two", NumberOfBytes=16)["DataKeyId"]
    kms.call("DisableDataKey", {"DataKeyId": c})
    r = kms.call("ListDataKeys", {"Offset": 1, "Limit": 1})
    assert r["TotalCount"] == 3 and r["DataKeys"] == [{"DataKeyId": b}]
    assert kms.call("ListDataKeys", {"Role": 1})["TotalCount"] == 0

    def ids(**params):
        got = kms.call("ListDataKeyDetail", params)
        assert got["TotalCount"] == len(got["DataKeyMetadatas"]) or "Limit" in params
        return [m["DataKeyId"] for m in got["DataKeyMetadatas"]]

    assert ids() == [c, b, a] and ids(OrderType=1) == [a, b, c]
    assert ids(Offset=1, Limit=1) == [b]
    assert ids(KeyState=1) == [b, a] and ids(KeyState=2) == [c] and ids(KeyState=3) == []
    assert ids(SearchKeyAlias="ALPHA") == [c, a] and ids(SearchKeyAlias=b[:8]) == [b]
    assert ids(Origin="EXTERNAL") == [b] and ids(Origin="TENCENT_KMS") == [c, a] and ids(Origin="ALL") == [c, b, a]
    assert ids(KeyId=k2) == [b] and ids(DataKeyLen=16) == [c, b]
    assert ids(TagFilters=[{"TagKey": "env", "TagValue": ["prod"]}]) == [a]
    assert ids(TagFilters=[{"TagKey": "env"}]) == [b, a]
    assert ids(HsmClusterId="default") == [c, b, a] and ids(HsmClusterId="hsm-none") == [] and ids(Role=1) == []
    detail = kms.call("ListDataKeyDetail", {"KeyId": k2})["DataKeyMetadatas"][0]
    assert detail == kms.call("DescribeDataKey", {"DataKeyId": b})["DataKeyMetadata"]
    assert kms.error("ListDataKeyDetail", {"KeyState": 4}) == "InvalidParameterValue"
    assert kms.error("ListDataKeyDetail", {"Origin": "external"}) == "InvalidParameterValue"
    assert kms.error("ListDataKeyDetail", {"KeyId": "nope"}) == "InvalidParameterValue.InvalidKeyId"
    assert kms.error("ListDataKeyDetail", {"TagFilters": [{"TagKey": "env"}, {"TagKey": "env"}]}) == \
        "InvalidParameterValue.TagKeysDuplicated"


def test_data_keys_of_a_vsm_held_cmk(kms):
    vsm = make_vsm(kms.owner)
    key_id = kms.create(HsmClusterId=vsm["ResourceId"])
    r = hosted(kms, key_id, HsmClusterId=vsm["ResourceId"])
    assert kms.call("DescribeDataKey", {"DataKeyId": r["DataKeyId"]})["DataKeyMetadata"]["HsmClusterId"] == \
        vsm["ResourceId"]
    assert kms.call("ListDataKeys", {"HsmClusterId": vsm["ResourceId"]})["TotalCount"] == 1
    assert kms.call("ListDataKeyDetail", {"HsmClusterId": "default"})["TotalCount"] == 0
    assert unb64(kms.call("GetDataKeyPlaintext", {"DataKeyId": r["DataKeyId"]})["Plaintext"]) == unb64(r["Plaintext"])


def test_another_accounts_or_regions_data_keys_are_not_found(stack, kms):
    key_id = kms.create()
    dk = hosted(kms, key_id, "mine")["DataKeyId"]
    intruder = Kms(stack.endpoint, new_account("intruder"))
    for action, params in (("DescribeDataKey", {"DataKeyId": dk}), ("GetDataKeyPlaintext", {"DataKeyId": dk}),
                           ("GetDataKeyCiphertextBlob", {"DataKeyId": dk}), ("EnableDataKeys", {"DataKeyIds": [dk]}),
                           ("ScheduleDataKeyDeletion", {"DataKeyId": dk, "PendingWindowInDays": 7}),
                           ("UpdateDataKeyName", {"DataKeyId": dk, "DataKeyName": "theirs"})):
        assert intruder.error(action, params) == "ResourceUnavailable.DataKeyNotFound", action
    assert intruder.call("DescribeDataKeys", {"DataKeyIds": [dk]})["DataKeyMetadatas"] == []
    assert intruder.call("ListDataKeyDetail", {})["TotalCount"] == 0
    intruder_key = intruder.create()
    hosted(intruder, intruder_key, "mine")                      # names are per account
    elsewhere = Kms(stack.endpoint, kms.acct, region="ap-shanghai")
    assert elsewhere.error("GetDataKeyPlaintext", {"DataKeyId": dk}) == "ResourceUnavailable.DataKeyNotFound"
    assert elsewhere.call("ListDataKeys", {})["TotalCount"] == 0
    assert kms.call("DescribeDataKey", {"DataKeyId": dk})["DataKeyMetadata"]["DataKeyName"] == "mine"


def test_tccli_gets_a_hosted_data_key(stack, kms, tmp_path):
    r = hosted(kms, kms.create(), "via-tccli")
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "tccli"), "kms", "GetDataKeyPlaintext", "--region", REGION,
                          "--endpoint", f"http://{stack.endpoint}", "--secretId", kms.acct["SecretId"],
                          "--secretKey", kms.acct["SecretKey"], "--DataKeyId", r["DataKeyId"]],
                         capture_output=True, text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Plaintext"] == r["Plaintext"]
