"""EXTERNAL CMKs (CreateKey Type 2, GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial),
ArchiveKey / CancelKeyArchive and GetRegions through the typed KmsClient."""
import base64
import logging
import os
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from kms_helpers import Kms, b64, kms, new_account  # noqa: F401 (kms is a fixture)

PADDINGS = {
    "RSAES_PKCS1_V1_5": lambda: padding.PKCS1v15(),
    "RSAES_OAEP_SHA_1": lambda: padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None),
    "RSAES_OAEP_SHA_256": lambda: padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None),
}


def wrap(params: dict, material: bytes, algorithm: str) -> str:
    public = serialization.load_der_public_key(base64.b64decode(params["PublicKey"]))
    return b64(public.encrypt(material, PADDINGS[algorithm]()))


def external(kms) -> str:
    r = kms.call("CreateKey", {"Alias": f"ext-{os.urandom(4).hex()}", "Type": 2})
    assert r["KeyState"] == "PendingImport"
    return r["KeyId"]


def import_material(kms, key_id: str, material: bytes, algorithm: str = "RSAES_OAEP_SHA_256", **extra) -> None:
    p = kms.call("GetParametersForImport", {"KeyId": key_id, "WrappingAlgorithm": algorithm,
                                            "WrappingKeySpec": "RSA_2048"})
    kms.call("ImportKeyMaterial", {"KeyId": key_id, "ImportToken": p["ImportToken"],
                                   "EncryptedKeyMaterial": wrap(p, material, algorithm), **extra})


@pytest.mark.parametrize("algorithm", list(PADDINGS))
def test_external_key_lifecycle(kms, algorithm, caplog):
    key_id = external(kms)
    m = kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]
    assert m["Origin"] == "EXTERNAL" and m["KeyState"] == "PendingImport" and m["ValidTo"] == 0
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"x")}) == "ResourceUnavailable.CmkStateNotSupport"
    p = kms.call("GetParametersForImport", {"KeyId": key_id, "WrappingAlgorithm": algorithm,
                                            "WrappingKeySpec": "RSA_2048"})
    now = int(time.time())
    assert p["KeyId"] == key_id and p["ImportToken"] and now + 86000 < p["ParametersValidTo"] <= now + 86400
    material = os.urandom(16)
    valid_to = now + 3600
    with caplog.at_level(logging.DEBUG):
        kms.call("ImportKeyMaterial", {"KeyId": key_id, "ImportToken": p["ImportToken"], "ValidTo": valid_to,
                                       "EncryptedKeyMaterial": wrap(p, material, algorithm)})
    assert material.hex() not in caplog.text and b64(material) not in caplog.text
    m = kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]
    assert m["KeyState"] == "Enabled" and m["ValidTo"] == valid_to and m["Origin"] == "EXTERNAL"
    blob = kms.encrypt(key_id, b"imported")
    assert kms.decrypt(blob) == b"imported"
    assert material not in base64.b64decode(blob)
    # the token imported once
    assert kms.error("ImportKeyMaterial", {"KeyId": key_id, "ImportToken": p["ImportToken"],
                                           "EncryptedKeyMaterial": wrap(p, material, algorithm)}) == "InvalidParameterValue"
    # deleting the material: PendingImport, nothing opens; the same material brings everything back
    kms.call("DeleteImportedKeyMaterial", {"KeyId": key_id})
    assert kms.state(key_id) == "PendingImport"
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkStateNotSupport"
    import_material(kms, key_id, material, algorithm)
    assert kms.state(key_id) == "Enabled" and kms.decrypt(blob) == b"imported"
    # other material is refused, and changes nothing
    kms.call("DeleteImportedKeyMaterial", {"KeyId": key_id})
    p = kms.call("GetParametersForImport", {"KeyId": key_id, "WrappingAlgorithm": algorithm,
                                            "WrappingKeySpec": "RSA_2048"})
    assert kms.error("ImportKeyMaterial", {"KeyId": key_id, "ImportToken": p["ImportToken"],
                                           "EncryptedKeyMaterial": wrap(p, os.urandom(16), algorithm)}) == \
        "InvalidParameterValue.MaterialNotMatch"
    assert kms.state(key_id) == "PendingImport"


def test_import_refuses_bad_input_and_changes_nothing(kms):
    key_id = external(kms)
    p = kms.call("GetParametersForImport", {"KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_1",
                                            "WrappingKeySpec": "RSA_2048"})
    good = {"KeyId": key_id, "ImportToken": p["ImportToken"]}
    assert kms.error("ImportKeyMaterial", {**good, "EncryptedKeyMaterial": wrap(p, os.urandom(32), "RSAES_OAEP_SHA_1")}) \
        == "InvalidParameterValue.InvalidImportKeyMaterial"
    assert kms.error("ImportKeyMaterial", {**good, "EncryptedKeyMaterial": wrap(p, os.urandom(16), "RSAES_OAEP_SHA_256")}) \
        == "InvalidParameter.DecryptMaterialError"
    assert kms.error("ImportKeyMaterial", {**good, "EncryptedKeyMaterial": b64(os.urandom(256))}) == \
        "InvalidParameter.DecryptMaterialError"
    assert kms.error("ImportKeyMaterial", {**good, "EncryptedKeyMaterial": "not base64!"}) == "InvalidParameterValue"
    assert kms.error("ImportKeyMaterial", {**good, "ImportToken": "forged",
                                           "EncryptedKeyMaterial": wrap(p, os.urandom(16), "RSAES_OAEP_SHA_1")}) == \
        "InvalidParameterValue"
    assert kms.error("ImportKeyMaterial", {**good, "ValidTo": int(time.time()) - 10,
                                           "EncryptedKeyMaterial": wrap(p, os.urandom(16), "RSAES_OAEP_SHA_1")}) == \
        "InvalidParameterValue"
    assert kms.error("ImportKeyMaterial", {**good, "ValidTo": 2147443201,
                                           "EncryptedKeyMaterial": wrap(p, os.urandom(16), "RSAES_OAEP_SHA_1")}) == \
        "InvalidParameterValue"
    assert kms.state(key_id) == "PendingImport"
    assert kms.error("GetParametersForImport", {"KeyId": key_id, "WrappingAlgorithm": "RSA_PLAIN",
                                                "WrappingKeySpec": "RSA_2048"}) == "InvalidParameterValue"
    assert kms.error("GetParametersForImport", {"KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_1",
                                                "WrappingKeySpec": "RSA_4096"}) == "InvalidParameterValue"
    # the token still works after the refusals
    kms.call("ImportKeyMaterial", {**good, "EncryptedKeyMaterial": wrap(p, os.urandom(16), "RSAES_OAEP_SHA_1")})
    assert kms.state(key_id) == "Enabled"


def test_import_is_for_external_keys_only(kms):
    normal = kms.create()
    params = {"KeyId": normal, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}
    assert kms.error("GetParametersForImport", params) == "UnsupportedOperation.NotExternalCmk"
    assert kms.error("DeleteImportedKeyMaterial", {"KeyId": normal}) == "UnsupportedOperation.NotExternalCmk"
    assert kms.error("CreateKey", {"Alias": "ext-sign", "Type": 2, "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_SM2"}) == \
        "InvalidParameterValue.InvalidKeyUsage"
    key_id = external(kms)
    import_material(kms, key_id, os.urandom(16))
    assert kms.error("EnableKeyRotation", {"KeyId": key_id}) == "UnsupportedOperation.ExternalCmkCanNotRotate"
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("GetParametersForImport", {**params, "KeyId": key_id}) == "ResourceUnavailable.CmkDisabled"
    details = kms.call("ListKeyDetail", {"Origin": "EXTERNAL", "KeyUsage": "ALL"})["KeyMetadatas"]
    assert [m["KeyId"] for m in details] == [key_id]
    assert [m["KeyId"] for m in kms.call("ListKeyDetail", {"Origin": "TENCENT_KMS"})["KeyMetadatas"]] == [normal]


def test_pending_import_key_can_be_deleted(kms):
    key_id = external(kms)
    kms.call("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
    assert kms.state(key_id) == "PendingDelete"
    kms.call("CancelKeyDeletion", {"KeyId": key_id})
    assert kms.state(key_id) == "PendingImport"


def test_imported_material_expires(kms):
    from layers.kms import keys
    from layers.stores import kms_keys
    key_id = external(kms)
    import_material(kms, key_id, os.urandom(16), ValidTo=int(time.time()) + 3600)
    blob = kms.encrypt(key_id, b"short-lived")
    # the hour passes: ValidTo moved to the past, as another process sees it a second later
    assert kms_keys.update(kms.owner, key_id, {"ValidTo": int(time.time()) - 1}, {"KeyState": "Enabled"})
    keys.forget(kms.owner, key_id)
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkStateNotSupport"
    assert kms.state(key_id) == "PendingImport"


def test_import_is_per_account(stack, kms):
    key_id = external(kms)
    p = kms.call("GetParametersForImport", {"KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                            "WrappingKeySpec": "RSA_2048"})
    other = Kms(stack.endpoint, new_account("kms-other"))
    assert other.error("ImportKeyMaterial", {"KeyId": key_id, "ImportToken": p["ImportToken"],
                                             "EncryptedKeyMaterial": wrap(p, os.urandom(16), "RSAES_OAEP_SHA_256")}) \
        == "ResourceUnavailable.CmkNotFound"
    assert other.error("GetParametersForImport", {"KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                                  "WrappingKeySpec": "RSA_2048"}) == "ResourceUnavailable.CmkNotFound"
    assert other.error("DeleteImportedKeyMaterial", {"KeyId": key_id}) == "ResourceUnavailable.CmkNotFound"
    assert other.error("ArchiveKey", {"KeyId": key_id}) == "ResourceUnavailable.CmkNotFound"
    assert kms.state(key_id) == "PendingImport"


def test_archived_key_decrypts_but_does_not_encrypt(kms):
    key_id = kms.create()
    blob = kms.encrypt(key_id, b"kept")
    sign = kms.create("ASYMMETRIC_SIGN_VERIFY_SM2")
    signature = kms.call("SignByAsymmetricKey", {"KeyId": sign, "Algorithm": "SM2DSA", "Message": b64(b"m")})["Signature"]
    for k in (key_id, sign):
        kms.call("ArchiveKey", {"KeyId": k})
        assert kms.state(k) == "Archived"
    assert kms.decrypt(blob) == b"kept"
    assert kms.call("ReEncrypt", {"CiphertextBlob": blob})["ReEncrypted"] is False
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"x")}) == "ResourceUnavailable.CmkArchived"
    assert kms.error("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_128"}) == "ResourceUnavailable.CmkArchived"
    assert kms.error("ReEncrypt", {"CiphertextBlob": blob, "DestinationEncryptionContext": '{"a":"b"}'}) == \
        "ResourceUnavailable.CmkArchived"
    assert kms.error("EnableKeyRotation", {"KeyId": key_id}) == "ResourceUnavailable.CmkArchived"
    assert kms.error("DisableKey", {"KeyId": key_id}) == "ResourceUnavailable.CmkArchived"
    assert kms.error("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7}) == \
        "ResourceUnavailable.CmkShouldBeDisabled"
    assert kms.error("SignByAsymmetricKey", {"KeyId": sign, "Algorithm": "SM2DSA", "Message": b64(b"m")}) == \
        "ResourceUnavailable.CmkArchived"
    assert kms.call("VerifyByAsymmetricKey", {"KeyId": sign, "Algorithm": "SM2DSA", "Message": b64(b"m"),
                                              "SignatureValue": signature})["SignatureValid"] is True
    assert kms.call("ListKeyDetail", {"KeyState": 5})["TotalCount"] == 1
    kms.call("ArchiveKey", {"KeyId": key_id})                    # already archived: nothing to do
    kms.call("CancelKeyArchive", {"KeyId": key_id})
    assert kms.state(key_id) == "Enabled" and kms.decrypt(kms.encrypt(key_id, b"again")) == b"again"


def test_archive_refuses_other_states(kms):
    key_id = kms.create()
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("ArchiveKey", {"KeyId": key_id}) == "ResourceUnavailable.CmkDisabled"
    assert kms.error("CancelKeyArchive", {"KeyId": key_id}) == "ResourceUnavailable.CmkStateNotSupport"
    assert kms.state(key_id) == "Disabled"
    assert kms.error("ArchiveKey", {"KeyId": "not-a-key"}) == "InvalidParameterValue.InvalidKeyId"
    assert kms.error("ArchiveKey", {"KeyId": key_id, "MemberAccount": {"MemberUin": int(kms.owner) + 1}}) == \
        "UnsupportedOperation.NotRoleOperation"


def test_get_regions(kms):
    regions = kms.call("GetRegions")["Regions"]
    assert "ap-guangzhou" in regions and "ap-shanghai-fsi" in regions and len(regions) == len(set(regions))
