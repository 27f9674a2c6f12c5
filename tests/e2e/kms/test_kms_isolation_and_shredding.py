"""Tenancy (another account's or region's key is not found), keys held by a VSM (HsmClusterId),
crypto-shredding when a VSM is terminated or a domain destroyed, audit redaction, and tccli."""
import json
import subprocess
import uuid
from pathlib import Path

from kms_helpers import REGION, Kms, b64, kms, make_vsm, new_account, put_raw_item, raw_item, unb64  # noqa: F401

from helpers import common_client

ROOT = Path(__file__).resolve().parents[3]


def test_another_accounts_keys_are_not_found(stack, kms):
    key_id = kms.create()
    sign_key = kms.create("ASYMMETRIC_SIGN_VERIFY_SM2")
    blob = kms.encrypt(key_id, b"private")
    intruder = Kms(stack.endpoint, new_account("intruder"))
    for action, params in (("DescribeKey", {"KeyId": key_id}), ("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"x")}),
                           ("Decrypt", {"CiphertextBlob": blob}), ("ReEncrypt", {"CiphertextBlob": blob}),
                           ("DisableKey", {"KeyId": key_id}), ("EnableKeys", {"KeyIds": [key_id]}),
                           ("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7}),
                           ("UpdateAlias", {"KeyId": key_id, "Alias": "mine-now"}),
                           ("UpdateKeyDescription", {"KeyId": key_id, "Description": "mine"}),
                           ("EnableKeyRotation", {"KeyId": key_id}), ("GetKeyRotationStatus", {"KeyId": key_id}),
                           ("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256"}),
                           ("GetPublicKey", {"KeyId": sign_key}),
                           ("SignByAsymmetricKey", {"KeyId": sign_key, "Algorithm": "SM2DSA", "Message": b64(b"m")})):
        assert intruder.error(action, params) == "ResourceUnavailable.CmkNotFound", action
    assert intruder.call("DescribeKeys", {"KeyIds": [key_id]})["KeyMetadatas"] == []
    assert intruder.call("ListKeys", {})["TotalCount"] == 0
    assert intruder.call("ListKeyDetail", {"KeyUsage": "ALL"})["TotalCount"] == 0
    intruder_key = intruder.create()
    assert intruder.error("ReEncrypt", {"CiphertextBlob": blob, "DestinationKeyId": intruder_key}) == \
        "ResourceUnavailable.CmkNotFound"
    assert kms.state(key_id) == "Enabled" and kms.decrypt(blob) == b"private"


def test_aliases_are_per_account(stack, kms):
    kms.call("CreateKey", {"Alias": "shared-name"})
    other = Kms(stack.endpoint, new_account("other"))
    other.call("CreateKey", {"Alias": "shared-name"})


def test_keys_are_regional(stack, kms):
    key_id = kms.create()
    blob = kms.encrypt(key_id, b"here")
    elsewhere = Kms(stack.endpoint, kms.acct, region="ap-shanghai")
    assert elsewhere.error("DescribeKey", {"KeyId": key_id}) == "ResourceUnavailable.CmkNotFound"
    assert elsewhere.error("Decrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkNotFound"
    assert elsewhere.call("ListKeys", {})["TotalCount"] == 0
    elsewhere.call("CreateKey", {"Alias": "same-alias-other-region"})
    kms.call("CreateKey", {"Alias": "same-alias-other-region"})


def test_keys_held_by_a_vsm(stack, kms):
    vsm = make_vsm(kms.owner)
    r = kms.call("CreateKey", {"Alias": "in-vsm", "HsmClusterId": vsm["ResourceId"]})
    assert r["HsmClusterId"] == vsm["ResourceId"]
    key_id = r["KeyId"]
    assert kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]["HsmClusterId"] == vsm["ResourceId"]
    assert kms.decrypt(kms.encrypt(key_id, b"in the vsm")) == b"in the vsm"
    assert [k["KeyId"] for k in kms.call("ListKeys", {"HsmClusterId": vsm["ResourceId"]})["Keys"]] == [key_id]
    dk = kms.call("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_128", "HsmClusterId": vsm["ResourceId"]})
    assert len(unb64(dk["Plaintext"])) == 16
    other_owner = new_account("vsm-owner")
    foreign = make_vsm(other_owner["OwnerUin"])
    assert kms.error("CreateKey", {"Alias": "not-mine", "HsmClusterId": foreign["ResourceId"]}) == \
        "InvalidParameterValue.InvalidHsmClusterId"
    shanghai = make_vsm(kms.owner, region="ap-shanghai")
    assert kms.error("CreateKey", {"Alias": "wrong-region", "HsmClusterId": shanghai["ResourceId"]}) == \
        "InvalidParameterValue.InvalidHsmClusterId"


def test_terminating_a_vsm_shreds_its_keys(stack, kms):
    import layers.keystore.vsm_hooks  # noqa: F401  (the wiring TerminateVsm relies on)
    vsm = make_vsm(kms.owner)
    in_vsm = kms.call("CreateKey", {"Alias": "doomed", "HsmClusterId": vsm["ResourceId"]})["KeyId"]
    doomed_blob = kms.encrypt(in_vsm, b"gone with the vsm")
    outside = kms.create()
    safe_blob = kms.encrypt(outside, b"still here")
    cloudhsm = common_client(stack.endpoint, kms.acct, "cloudhsm", "2019-11-12", region=REGION)
    cloudhsm.call_json("TerminateVsm", {"ResourceId": vsm["ResourceId"]})
    assert kms.error("Decrypt", {"CiphertextBlob": doomed_blob}) == "ResourceUnavailable.CmkNotFound"
    assert kms.error("DescribeKey", {"KeyId": in_vsm}) == "ResourceUnavailable.CmkNotFound"
    assert [k["KeyId"] for k in kms.call("ListKeys", {})["Keys"]] == [outside]
    assert kms.decrypt(safe_blob) == b"still here"
    assert kms.error("CreateKey", {"Alias": "revive", "HsmClusterId": vsm["ResourceId"]}) == \
        "InvalidParameterValue.InvalidHsmClusterId"
    domain = raw_item(kms.owner, f"DOMAIN#{vsm['ResourceId']}")
    assert domain["State"]["S"] == "Destroyed" and "Master" not in domain


def test_destroyed_domain_never_decrypts_again_even_from_copies(stack, kms):
    from layers import keystore
    from layers.keystore import domains, stored_keys
    from layers.keystore.errors import UnwrapFailed
    key_id = kms.create()
    blob = kms.encrypt(key_id, b"shred me")
    key_copy = raw_item(kms.owner, f"KEY#{key_id}")              # a stale copy of the key item
    assert keystore.destroy_domain(kms.owner, keystore.DEFAULT_DOMAIN) == 1
    assert raw_item(kms.owner, f"KEY#{key_id}") is None
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkNotFound"
    put_raw_item(key_copy)                                       # the copy comes back: still nothing opens
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkNotFound"
    assert raw_item(kms.owner, f"KEY#{key_id}") is None          # and the copy is deleted on sight
    # A new generation of the domain has a new master key: the old wrapped material does not open.
    fresh = kms.create()
    assert kms.decrypt(kms.encrypt(fresh, b"new era")) == b"new era"
    put_raw_item(key_copy)
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkNotFound"
    domain = domains.get(kms.owner, keystore.DEFAULT_DOMAIN)
    assert domain.generation == int(key_copy["Generation"]["N"]) + 1
    try:
        stored_keys.unwrap(domain, key_id, 1, key_copy["Material"]["M"]["1"]["B"])
        raise AssertionError("old material opened under the new master key")
    except UnwrapFailed:
        pass


def test_plaintext_and_messages_stay_out_of_audit_events(stack, kms, audit):
    key_id = kms.create()
    secret = b"audit must not see this"
    r = kms.call("Encrypt", {"KeyId": key_id, "Plaintext": b64(secret)})
    event = audit.by_request(r["RequestId"])
    assert event["RequestParameters"]["Plaintext"] == "******" and b64(secret) not in json.dumps(event)
    assert event["ResourceName"] == key_id and event["ApiErrorCode"] == ""
    d = kms.call("Decrypt", {"CiphertextBlob": r["CiphertextBlob"]})
    assert b64(secret) not in json.dumps(audit.by_request(d["RequestId"]))
    sign_key = kms.create("ASYMMETRIC_SIGN_VERIFY_SM2")
    s = kms.call("SignByAsymmetricKey", {"KeyId": sign_key, "Algorithm": "SM2DSA", "Message": b64(secret)})
    assert audit.by_request(s["RequestId"])["RequestParameters"]["Message"] == "******"
    g = kms.call("GenerateRandom", {"NumberOfBytes": 16})
    assert audit.by_request(g["RequestId"])["ReadOnly"] is True


def test_tccli_works_unchanged(stack, kms, tmp_path):
    key_id = kms.create()
    base = [str(ROOT / ".venv" / "bin" / "tccli"), "kms", "--region", REGION, "--endpoint", f"http://{stack.endpoint}",
            "--secretId", kms.acct["SecretId"], "--secretKey", kms.acct["SecretKey"]]
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(base[:2] + ["Encrypt"] + base[2:] + ["--KeyId", key_id, "--Plaintext", b64(b"via tccli")],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    blob = json.loads(out.stdout)["CiphertextBlob"]
    out = subprocess.run(base[:2] + ["Decrypt"] + base[2:] + ["--CiphertextBlob", blob],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert unb64(json.loads(out.stdout)["Plaintext"]) == b"via tccli"
    assert str(uuid.UUID(json.loads(out.stdout)["KeyId"])) == key_id
