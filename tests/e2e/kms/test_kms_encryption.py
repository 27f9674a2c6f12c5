"""Symmetric data plane through the typed KmsClient: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
GenerateRandom; ciphertext blobs are self-describing and tamper-evident; rotation keeps old versions."""
import base64
import json
import uuid

import pytest

from kms_helpers import b64, kms, unb64  # noqa: F401 (kms is a fixture)
from layers.crypto import rsa_keys, sm2


def test_encrypt_decrypt_round_trip(kms):
    key_id = kms.create()
    for data in (b"x", b"hello world", bytes(range(256)) * 16):
        r = kms.call("Encrypt", {"KeyId": key_id, "Plaintext": b64(data)})
        assert r["KeyId"] == key_id and (len(data) < 8 or data not in unb64(r["CiphertextBlob"]))
        d = kms.call("Decrypt", {"CiphertextBlob": r["CiphertextBlob"]})
        assert d["KeyId"] == key_id and unb64(d["Plaintext"]) == data
    assert kms.encrypt(key_id, b"same") != kms.encrypt(key_id, b"same")        # fresh nonce each time


def test_blob_names_its_key_version_and_algorithm(kms):
    key_id = kms.create()
    raw = unb64(kms.encrypt(key_id, b"abc"))
    assert raw[:2] == b"GZ" and raw[2] == 1 and raw[3] == 1                   # format 1, SM4-GCM
    assert raw[4:40].decode() == key_id and int.from_bytes(raw[40:44], "big") == 1


def test_plaintext_limits(kms):
    key_id = kms.create()
    assert kms.decrypt(kms.encrypt(key_id, b"a" * 4096)) == b"a" * 4096
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"a" * 4097)}) == \
        "InvalidParameterValue.InvalidPlaintext"
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": "not base64!"}) == "InvalidParameterValue.InvalidPlaintext"
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": ""}) == "InvalidParameterValue.InvalidPlaintext"
    assert kms.error("Encrypt", {"KeyId": key_id}) == "MissingParameter"


def test_encryption_context_must_match(kms):
    key_id = kms.create()
    blob = kms.encrypt(key_id, b"bound", '{"order": "42", "tenant": "a"}')
    assert kms.decrypt(blob, '{"tenant":"a","order":"42"}') == b"bound"          # same pairs, any layout
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "InvalidParameterValue.InvalidCiphertext"
    assert kms.error("Decrypt", {"CiphertextBlob": blob, "EncryptionContext": '{"order": "43", "tenant": "a"}'}) == \
        "InvalidParameterValue.InvalidCiphertext"
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"x"), "EncryptionContext": "[1, 2]"}) == \
        "InvalidParameterValue"
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"x"), "EncryptionContext": "{oops"}) == \
        "InvalidParameterValue"
    long_context = json.dumps({"k": "v" * 1030})
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"x"), "EncryptionContext": long_context}) == \
        "InvalidParameterValue"


def test_every_modified_byte_is_detected(kms):
    key_id = kms.create()
    raw = bytearray(unb64(kms.encrypt(key_id, b"do not touch")))
    # header (format, algorithm, key id, version), nonce, ciphertext, tag
    for position in (2, 3, 10, 43, 44, 60, len(raw) - 20, len(raw) - 1):
        changed = bytearray(raw)
        changed[position] ^= 0x01
        code = kms.error("Decrypt", {"CiphertextBlob": b64(bytes(changed))})
        in_key_id = 4 <= position < 40          # another (absent) key, or not a key id at all
        assert code == "InvalidParameterValue.InvalidCiphertext" or (
            in_key_id and code == "ResourceUnavailable.CmkNotFound"), (position, code)
    assert kms.error("Decrypt", {"CiphertextBlob": b64(bytes(raw[:-1]))}) == "InvalidParameterValue.InvalidCiphertext"
    assert kms.error("Decrypt", {"CiphertextBlob": "bm90IGEgYmxvYg=="}) == "InvalidParameterValue.InvalidCiphertext"
    assert kms.error("Decrypt", {"CiphertextBlob": "***"}) == "InvalidParameterValue.InvalidCiphertext"


def test_blob_under_another_key_id_is_refused(kms):
    a, b = kms.create(), kms.create()
    raw = bytearray(unb64(kms.encrypt(a, b"mine")))
    raw[4:40] = b.encode()                                   # claims to be b's: b's key cannot open it
    assert kms.error("Decrypt", {"CiphertextBlob": b64(bytes(raw))}) == "InvalidParameterValue.InvalidCiphertext"
    raw[4:40] = str(uuid.uuid4()).encode()
    assert kms.error("Decrypt", {"CiphertextBlob": b64(bytes(raw))}) == "ResourceUnavailable.CmkNotFound"


def test_disabled_key_and_wrong_usage(kms):
    key_id = kms.create()
    blob = kms.encrypt(key_id, b"x")
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"x")}) == "ResourceUnavailable.CmkDisabled"
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkDisabled"
    assert kms.error("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256"}) == "ResourceUnavailable.CmkDisabled"
    assert kms.error("ReEncrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkDisabled"
    kms.call("EnableKey", {"KeyId": key_id})
    assert kms.decrypt(blob) == b"x"
    sign = kms.create("ASYMMETRIC_SIGN_VERIFY_SM2")
    assert kms.error("Encrypt", {"KeyId": sign, "Plaintext": b64(b"x")}) == "InvalidParameterValue.InvalidKeyUsage"
    assert kms.error("GenerateDataKey", {"KeyId": sign, "KeySpec": "AES_128"}) == "InvalidParameterValue.InvalidKeyUsage"
    assert kms.error("Encrypt", {"KeyId": "nope", "Plaintext": b64(b"x")}) == "InvalidParameterValue.InvalidKeyId"
    assert kms.error("Encrypt", {"KeyId": str(uuid.uuid4()), "Plaintext": b64(b"x")}) == "ResourceUnavailable.CmkNotFound"


def test_rotation_keeps_old_versions_and_re_encrypt_moves_to_the_new_one(kms):
    key_id = kms.create()
    v1 = kms.encrypt(key_id, b"before rotation")
    same = kms.call("ReEncrypt", {"CiphertextBlob": v1})
    assert same == {**same, "CiphertextBlob": v1, "KeyId": key_id, "SourceKeyId": key_id, "ReEncrypted": False}
    kms.call("EnableKeyRotation", {"KeyId": key_id, "RotateDays": 7})
    kms.call("RotateKey", {"KeyId": key_id})
    v2 = kms.encrypt(key_id, b"after rotation")
    assert int.from_bytes(unb64(v1)[40:44], "big") == 1 and int.from_bytes(unb64(v2)[40:44], "big") == 2
    assert kms.decrypt(v1) == b"before rotation" and kms.decrypt(v2) == b"after rotation"
    moved = kms.call("ReEncrypt", {"CiphertextBlob": v1})
    assert moved["ReEncrypted"] is True and int.from_bytes(unb64(moved["CiphertextBlob"])[40:44], "big") == 2
    assert kms.decrypt(moved["CiphertextBlob"]) == b"before rotation"
    assert kms.call("ReEncrypt", {"CiphertextBlob": v2})["ReEncrypted"] is False


def test_scheduled_rotation_happens_on_next_use(kms):
    import time
    from layers.kms import keys
    from layers.stores import kms_keys
    key_id = kms.create()
    kms.call("EnableKeyRotation", {"KeyId": key_id, "RotateDays": 7})
    v1 = kms.encrypt(key_id, b"one")
    assert kms_keys.update(kms.owner, key_id, {"NextRotateTime": int(time.time()) - 1}, {"KeyState": "Enabled"})
    keys.forget(kms.owner, key_id)                               # as another process sees it within a second
    v2 = kms.encrypt(key_id, b"two")
    assert int.from_bytes(unb64(v2)[40:44], "big") == 2
    m = kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]
    assert m["NextRotateTime"] >= int(time.time()) + 7 * 86400 - 5 and m["LastRotateTime"] >= int(time.time()) - 5
    assert kms.decrypt(v1) == b"one" and kms.decrypt(v2) == b"two"


def test_re_encrypt_to_another_key_and_context(kms):
    a, b = kms.create(), kms.create()
    blob = kms.encrypt(a, b"travel", '{"from": "a"}')
    r = kms.call("ReEncrypt", {"CiphertextBlob": blob, "DestinationKeyId": b, "SourceEncryptionContext": '{"from": "a"}',
                               "DestinationEncryptionContext": '{"to": "b"}'})
    assert r["ReEncrypted"] is True and r["KeyId"] == b and r["SourceKeyId"] == a
    assert kms.decrypt(r["CiphertextBlob"], '{"to": "b"}') == b"travel"
    again = kms.call("ReEncrypt", {"CiphertextBlob": blob, "SourceEncryptionContext": '{"from": "a"}',
                                   "DestinationEncryptionContext": '{"now": "c"}'})
    assert again["ReEncrypted"] is True and kms.decrypt(again["CiphertextBlob"], '{"now": "c"}') == b"travel"
    assert kms.error("ReEncrypt", {"CiphertextBlob": blob}) == "InvalidParameterValue.InvalidCiphertext"
    assert kms.error("ReEncrypt", {"CiphertextBlob": blob, "SourceEncryptionContext": '{"from": "a"}',
                                   "DestinationKeyId": str(uuid.uuid4())}) == "ResourceUnavailable.CmkNotFound"


def test_generate_data_key(kms):
    key_id = kms.create()
    for params, size in (({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 1024}, 1024),
                         ({"KeySpec": "AES_128", "NumberOfBytes": 7}, 7)):
        r = kms.call("GenerateDataKey", {"KeyId": key_id, **params})
        data_key = unb64(r["Plaintext"])
        assert r["KeyId"] == key_id and len(data_key) == size
        assert kms.decrypt(r["CiphertextBlob"]) == data_key
    bound = kms.call("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": '{"a": "1"}'})
    assert kms.decrypt(bound["CiphertextBlob"], '{"a": "1"}') == unb64(bound["Plaintext"])
    assert kms.error("GenerateDataKey", {"KeyId": key_id}) == "MissingParameter"
    assert kms.error("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_512"}) == "InvalidParameterValue"
    assert kms.error("GenerateDataKey", {"KeyId": key_id, "NumberOfBytes": 1025}) == "InvalidParameterValue"
    assert kms.error("GenerateDataKey", {"KeyId": key_id, "NumberOfBytes": 0}) == "InvalidParameterValue"
    assert kms.error("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256", "IsHostedByKms": 1}) == \
        "MissingParameter"                                       # a hosted data key needs its DataKeyName
    assert kms.error("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256", "HsmClusterId": "hsm-other"}) == \
        "InvalidParameterValue.InvalidHsmClusterId"


@pytest.mark.parametrize("algorithm", ["SM2", "SM2_C1C3C2_ASN1", None])
def test_plaintext_returned_encrypted_to_an_sm2_public_key(kms, algorithm):
    mine = sm2.SM2PrivateKey.generate()
    extra = {"EncryptionPublicKey": mine.public_key.to_pem().decode()}
    if algorithm:
        extra["EncryptionAlgorithm"] = algorithm
    key_id = kms.create()
    r = kms.call("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256", **extra})
    sealed = unb64(r["Plaintext"])
    if algorithm == "SM2_C1C3C2_ASN1":
        sealed = sm2.ciphertext_from_der(sealed)
    data_key = mine.decrypt(sealed)
    assert len(data_key) == 32
    d = kms.call("Decrypt", {"CiphertextBlob": r["CiphertextBlob"], **extra})
    opened = unb64(d["Plaintext"])
    assert mine.decrypt(sm2.ciphertext_from_der(opened) if algorithm == "SM2_C1C3C2_ASN1" else opened) == data_key


@pytest.mark.parametrize("algorithm,padding,digest", [("RSAES_OAEP_SHA_256", "OAEP", "SHA256"),
                                                      ("RSAES_OAEP_SHA_1", "OAEP", "SHA1"),
                                                      ("RSAES_PKCS1_V1_5", "PKCS1v15", "SHA256")])
def test_plaintext_returned_encrypted_to_an_rsa_public_key(kms, algorithm, padding, digest):
    mine = rsa_keys.generate_private_key(2048)
    pem = rsa_keys.public_key_to_pem(mine.public_key()).decode()
    key_id = kms.create()
    blob = kms.encrypt(key_id, b"for your eyes")
    d = kms.call("Decrypt", {"CiphertextBlob": blob, "EncryptionPublicKey": pem, "EncryptionAlgorithm": algorithm})
    assert rsa_keys.decrypt(mine, unb64(d["Plaintext"]), padding, digest) == b"for your eyes"


def test_bad_encryption_public_keys(kms):
    key_id = kms.create()
    blob = kms.encrypt(key_id, b"x")
    small = rsa_keys.public_key_to_pem(rsa_keys.generate_private_key(1024).public_key()).decode()
    sm2_pem = sm2.SM2PrivateKey.generate().public_key.to_pem().decode()
    for extra in ({"EncryptionPublicKey": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
                  {"EncryptionPublicKey": small, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"},
                  {"EncryptionPublicKey": sm2_pem, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"},
                  {"EncryptionPublicKey": sm2_pem, "EncryptionAlgorithm": "ROT13"}):
        assert kms.error("Decrypt", {"CiphertextBlob": blob, **extra}) == "InvalidParameterValue", extra


def test_generate_random(kms):
    for n in (1, 32, 1024):
        assert len(base64.b64decode(kms.call("GenerateRandom", {"NumberOfBytes": n})["Plaintext"])) == n
    a = kms.call("GenerateRandom", {"NumberOfBytes": 32})["Plaintext"]
    assert a != kms.call("GenerateRandom", {"NumberOfBytes": 32})["Plaintext"]
    for n in (0, 1025):
        assert kms.error("GenerateRandom", {"NumberOfBytes": n}) == "InvalidParameterValue"
    assert kms.error("GenerateRandom", {}) == "MissingParameter"


def test_damaged_stored_material_is_a_failed_operation_not_an_internal_error(kms):
    from layers.kms import keys
    from layers.stores import kms_keys
    key_id = kms.create()
    blob = kms.encrypt(key_id, b"x")
    wrapped = kms_keys.get(kms.owner, key_id)["Material"]["1"]
    assert kms_keys.update(kms.owner, key_id, {"Material": {"1": wrapped[:-1] + bytes([wrapped[-1] ^ 1])}}, {})
    keys.forget(kms.owner, key_id)
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "FailedOperation"
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"x")}) == "FailedOperation"
