"""AES keys (ENCRYPT_DECRYPT_AES_256 / _128) and the raw symmetric cipher (SymmetricEncrypt /
SymmetricDecrypt, Guardzone's own actions, so through CommonClient): known answers with imported
material (RFC 3394, and `cryptography` locally for GCM/CBC/ECB/KWP), SM4 modes on ENCRYPT_DECRYPT keys,
strict input checks, and tenancy."""
import os

import pytest
from cryptography.hazmat.primitives import keywrap, padding as sympad
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from helpers import common_client
from kms_helpers import Kms, b64, new_account, unb64
from test_kms_import_and_archive import import_material

AES_256, AES_128 = "ENCRYPT_DECRYPT_AES_256", "ENCRYPT_DECRYPT_AES_128"
KEK = bytes.fromhex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")      # RFC 3394 4.6
KEY_DATA = bytes.fromhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
WRAPPED = bytes.fromhex("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21")


class Raw:
    """SymmetricEncrypt / SymmetricDecrypt through CommonClient (the SDK has no model of them)."""

    def __init__(self, stack, acct):
        self.client = common_client(stack.endpoint, acct, "kms", "2019-01-18")

    def call(self, action, params):
        return self.client.call_json(action, params)["Response"]

    def encrypt(self, key_id, algorithm, data: bytes, **extra) -> dict:
        return self.call("SymmetricEncrypt", {"KeyId": key_id, "Algorithm": algorithm, "Plaintext": b64(data), **extra})

    def decrypt(self, key_id, algorithm, blob: str, **extra) -> bytes:
        r = self.call("SymmetricDecrypt", {"KeyId": key_id, "Algorithm": algorithm, "CiphertextBlob": blob, **extra})
        assert r["KeyId"] == key_id and r["Algorithm"] == algorithm
        return unb64(r["Plaintext"])

    def error(self, action, params) -> str:
        try:
            self.call(action, {k: v for k, v in params.items() if v is not None})
        except TencentCloudSDKException as exc:
            return exc.code
        raise AssertionError(f"{action} succeeded")


@pytest.fixture(scope="module")
def acct(stack):
    return new_account("raw-cipher")


@pytest.fixture(scope="module")
def kms(stack, acct):
    return Kms(stack.endpoint, acct)


@pytest.fixture(scope="module")
def raw(stack, acct):
    return Raw(stack, acct)


@pytest.fixture(scope="module")
def imported(kms):
    """An ENCRYPT_DECRYPT_AES_256 key whose material is RFC 3394's 256-bit KEK."""
    key_id = kms.call("CreateKey", {"Alias": f"aes-kat-{os.urandom(3).hex()}", "KeyUsage": AES_256, "Type": 2})["KeyId"]
    import_material(kms, key_id, KEK)
    return key_id


def test_aes_keys_are_offered_and_kms_encrypt_works_on_them(kms):
    symmetric = kms.call("ListAlgorithms")["SymmetricAlgorithms"]
    assert {"KeyUsage": AES_256, "Algorithm": "AES_256"} in symmetric
    assert {"KeyUsage": AES_128, "Algorithm": "AES_128"} in symmetric
    key_id = kms.create(AES_128)
    meta = kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]
    assert meta["KeyUsage"] == AES_128 and meta["KeyState"] == "Enabled"
    blob = kms.encrypt(key_id, b"envelope under AES", '{"a":"b"}')
    assert kms.decrypt(blob, '{"a":"b"}') == b"envelope under AES"
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == "InvalidParameterValue.InvalidCiphertext"
    assert kms.error("EnableKeyRotation", {"KeyId": key_id}) == "UnsupportedOperation.RotateNotSupported"
    assert kms.error("GetPublicKey", {"KeyId": key_id}) == "InvalidParameterValue.InvalidKeyUsage"


def test_known_answers_with_imported_material(kms, raw, imported):
    r = raw.encrypt(imported, "AES_KEY_WRAP", KEY_DATA)
    assert unb64(r["CiphertextBlob"]) == WRAPPED and r["Iv"] == "" and r["KeyId"] == imported
    assert raw.decrypt(imported, "AES_KEY_WRAP", b64(WRAPPED)) == KEY_DATA
    r = raw.encrypt(imported, "AES_KEY_WRAP_PAD", b"20 bytes of key data")
    assert unb64(r["CiphertextBlob"]) == keywrap.aes_key_wrap_with_padding(KEK, b"20 bytes of key data")

    import hashlib
    import hmac
    from cryptography.exceptions import InvalidTag
    from layers.keystore.wrapping import binding
    blob = unb64(kms.encrypt(imported, b"envelope"))           # blobs use a subkey, not the raw material
    header, nonce, body = blob[:44], blob[44:56], blob[56:]
    aad = header + binding("guardzone-cmk-blob-v1", kms.owner, "ap-guangzhou", "")
    subkey = hmac.new(KEK, b"guardzone-cmk-blob-v1", hashlib.sha256).digest()
    assert header[3] == 2 and AESGCM(subkey).decrypt(nonce, body, aad) == b"envelope"
    with pytest.raises(InvalidTag):
        AESGCM(KEK).decrypt(nonce, body, aad)

    iv, aad, data = os.urandom(12), b"header", b"GCM with associated data"
    r = raw.encrypt(imported, "AES_GCM", data, Iv=b64(iv), Aad=b64(aad))
    assert unb64(r["CiphertextBlob"]) == AESGCM(KEK).encrypt(iv, data, aad) and unb64(r["Iv"]) == iv
    r = raw.encrypt(imported, "AES_GCM", data, Iv=b64(iv), TagLength=96)
    assert unb64(r["CiphertextBlob"]) == AESGCM(KEK).encrypt(iv, data, None)[:-4]
    assert raw.decrypt(imported, "AES_GCM", r["CiphertextBlob"], Iv=b64(iv), TagLength=96) == data

    iv = os.urandom(16)
    padder = sympad.PKCS7(128).padder()
    enc = Cipher(algorithms.AES(KEK), modes.CBC(iv)).encryptor()
    expected = enc.update(padder.update(b"cbc pad") + padder.finalize()) + enc.finalize()
    assert unb64(raw.encrypt(imported, "AES_CBC_PAD", b"cbc pad", Iv=b64(iv))["CiphertextBlob"]) == expected
    enc = Cipher(algorithms.AES(KEK), modes.ECB()).encryptor()
    assert unb64(raw.encrypt(imported, "AES_ECB", b"A" * 32)["CiphertextBlob"]) == enc.update(b"A" * 32) + enc.finalize()


def test_round_trips_iv_and_aad_matter(kms, raw):
    key_id = kms.create(AES_256)
    data = b"raw cipher data \x00\xff" * 5
    r = raw.encrypt(key_id, "AES_GCM", data, Aad=b64(b"ctx"))
    iv = unb64(r["Iv"])
    assert len(iv) == 12 and data not in unb64(r["CiphertextBlob"])        # a random IV when none is given
    assert raw.decrypt(key_id, "AES_GCM", r["CiphertextBlob"], Iv=r["Iv"], Aad=b64(b"ctx")) == data
    tampered = bytearray(unb64(r["CiphertextBlob"]))
    tampered[-1] ^= 1
    for bad in ({"CiphertextBlob": b64(bytes(tampered)), "Aad": b64(b"ctx")}, {"Aad": b64(b"other")}, {}):
        assert raw.error("SymmetricDecrypt", {"KeyId": key_id, "Algorithm": "AES_GCM", "Iv": r["Iv"],
                                              "CiphertextBlob": r["CiphertextBlob"], **bad}) == "FailedOperation.DecryptError"
    one = raw.encrypt(key_id, "AES_CBC_PAD", data, Iv=b64(b"\x01" * 16))["CiphertextBlob"]
    two = raw.encrypt(key_id, "AES_CBC_PAD", data, Iv=b64(b"\x02" * 16))["CiphertextBlob"]
    assert one != two and raw.decrypt(key_id, "AES_CBC_PAD", one, Iv=b64(b"\x01" * 16)) == data
    wrapped = raw.encrypt(key_id, "AES_KEY_WRAP", KEY_DATA)["CiphertextBlob"]
    assert raw.decrypt(key_id, "AES_KEY_WRAP", wrapped) == KEY_DATA and unb64(wrapped) != WRAPPED

    sm4 = kms.create()                                   # ENCRYPT_DECRYPT: SM4 modes
    r = raw.encrypt(sm4, "SM4_CBC_PAD", b"sm4 data")
    assert len(unb64(r["Iv"])) == 16 and len(unb64(r["CiphertextBlob"])) == 16
    assert raw.decrypt(sm4, "SM4_CBC_PAD", r["CiphertextBlob"], Iv=r["Iv"]) == b"sm4 data"
    block = raw.encrypt(sm4, "SM4_ECB", b"B" * 16)["CiphertextBlob"]
    assert raw.decrypt(sm4, "SM4_ECB", block) == b"B" * 16
    kms.call("DisableKey", {"KeyId": sm4})
    assert raw.error("SymmetricEncrypt", {"KeyId": sm4, "Algorithm": "SM4_ECB", "Plaintext": b64(b"B" * 16)}) \
        == "ResourceUnavailable.CmkDisabled"


def test_raw_modes_cannot_open_or_forge_encrypt_blobs(kms, raw):
    """GCM is counter mode over the block function: were the raw ECB mode that function, the keystream
    of a blob's nonce would open it (and forge others). It is not, for KMS-made SM4 and AES keys."""
    secret = b"sixteen byte msg"
    for usage, ecb in (("ENCRYPT_DECRYPT", "SM4_ECB"), (AES_256, "AES_ECB")):
        key_id = kms.create(usage)
        text = kms.encrypt(key_id, secret)
        blob = unb64(text)
        nonce, body = blob[44:56], blob[56:-16]
        keystream = unb64(raw.encrypt(key_id, ecb, nonce + (2).to_bytes(4, "big"))["CiphertextBlob"])
        assert bytes(a ^ b for a, b in zip(body, keystream)) != secret, usage
        assert kms.decrypt(text) == secret
    # imported SM4 material is the raw key itself: the answers are SM4's with that material
    sm4_key = os.urandom(16)
    imported = kms.call("CreateKey", {"Alias": f"sm4-ext-{os.urandom(3).hex()}", "Type": 2})["KeyId"]
    import_material(kms, imported, sm4_key)
    block = os.urandom(16)
    local = Cipher(algorithms.SM4(sm4_key), modes.ECB()).encryptor().update(block)
    assert unb64(raw.encrypt(imported, "SM4_ECB", block)["CiphertextBlob"]) == local


def test_bad_input_is_refused_clearly(stack, kms, raw):
    aes, sm4, rsa = kms.create(AES_256), kms.create(), kms.create("ASYMMETRIC_DECRYPT_RSA_2048")
    enc = lambda **p: raw.error("SymmetricEncrypt", {"KeyId": aes, "Algorithm": "AES_CBC", "Plaintext": b64(b"x" * 16), **p})
    dec = lambda **p: raw.error("SymmetricDecrypt", {"KeyId": aes, "Algorithm": "AES_CBC", "CiphertextBlob": b64(b"x" * 16),
                                                     "Iv": b64(b"\x00" * 16), **p})
    assert enc(Algorithm="AES_CTR") == "InvalidParameterValue"
    assert enc(Iv=b64(b"short")) == "InvalidParameterValue"
    assert enc(Aad=b64(b"aad")) == "InvalidParameterValue"                 # Aad and TagLength are GCM's
    assert enc(Algorithm="AES_GCM", TagLength=100) == "InvalidParameterValue"
    assert enc(Algorithm="AES_ECB", Iv=b64(b"\x00" * 16)) == "InvalidParameterValue"
    assert enc(Algorithm="AES_KEY_WRAP", Iv=b64(b"\x00" * 8)) == "InvalidParameterValue"
    assert enc(Plaintext=b64(b"x" * 15)) == "InvalidParameterValue.InvalidPlaintext"
    assert enc(Plaintext="not base64!") == "InvalidParameterValue.InvalidPlaintext"
    assert enc(Algorithm="AES_KEY_WRAP", Plaintext=b64(b"x" * 12)) == "InvalidParameterValue.InvalidPlaintext"
    assert enc(Plaintext=b64(b"x" * 32769), Algorithm="AES_CBC_PAD") == "InvalidParameterValue.InvalidPlaintext"
    assert dec(Iv=None) == "InvalidParameterValue"                        # decrypting needs the IV
    assert dec(CiphertextBlob=b64(b"x" * 15)) == "InvalidParameterValue.InvalidCiphertext"
    zero_pad = raw.encrypt(aes, "AES_CBC", b"\x00" * 16, Iv=b64(b"\x00" * 16))["CiphertextBlob"]
    assert dec(Algorithm="AES_CBC_PAD", CiphertextBlob=zero_pad) == "FailedOperation.DecryptError"  # bad padding
    assert dec(Algorithm="AES_KEY_WRAP", Iv=None, CiphertextBlob=b64(b"x" * 24)) == "FailedOperation.DecryptError"
    assert enc(KeyId=sm4) == "InvalidParameterValue.InvalidKeyUsage"        # AES modes need an AES key
    assert enc(Algorithm="SM4_CBC") == "InvalidParameterValue.InvalidKeyUsage"
    assert enc(KeyId=rsa) == "InvalidParameterValue.InvalidKeyUsage"
    assert enc(KeyId="not-a-key-id") == "InvalidParameterValue.InvalidKeyId"
    # another account's key is not found, in either direction
    other = Raw(stack, new_account("raw-other"))
    assert other.error("SymmetricEncrypt", {"KeyId": aes, "Algorithm": "AES_CBC", "Plaintext": b64(b"x" * 16)}) \
        == "ResourceUnavailable.CmkNotFound"
    blob = raw.encrypt(aes, "AES_ECB", b"y" * 16)["CiphertextBlob"]
    assert other.error("SymmetricDecrypt", {"KeyId": aes, "Algorithm": "AES_ECB", "CiphertextBlob": blob}) \
        == "ResourceUnavailable.CmkNotFound"


def test_aes_material_is_imported_at_its_size(kms):
    key_id = kms.call("CreateKey", {"Alias": f"aes-ext-{os.urandom(3).hex()}", "KeyUsage": AES_128, "Type": 2})["KeyId"]
    p = kms.call("GetParametersForImport", {"KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                            "WrappingKeySpec": "RSA_2048"})
    from test_kms_import_and_archive import wrap
    assert kms.error("ImportKeyMaterial", {"KeyId": key_id, "ImportToken": p["ImportToken"],
                                           "EncryptedKeyMaterial": wrap(p, os.urandom(32), "RSAES_OAEP_SHA_256")}) \
        == "InvalidParameterValue.InvalidImportKeyMaterial"
    assert kms.error("CreateKey", {"Alias": f"x-{os.urandom(3).hex()}", "KeyUsage": "ASYMMETRIC_DECRYPT_SM2",
                                   "Type": 2}) == "InvalidParameterValue.InvalidKeyUsage"


def test_wrap_and_unwrap_keys_in_the_service(stack, kms, raw, imported):
    target = kms.call("CreateKey", {"Alias": f"aes-target-{os.urandom(3).hex()}", "KeyUsage": AES_256, "Type": 2})["KeyId"]
    import_material(kms, target, KEY_DATA)
    r = raw.call("WrapKey", {"KeyId": imported, "TargetKeyId": target, "Algorithm": "AES_KEY_WRAP"})
    assert unb64(r["WrappedKey"]) == WRAPPED and r["TargetKeyId"] == target           # RFC 3394 4.6
    r = raw.call("WrapKey", {"KeyId": imported, "TargetKeyId": target, "Algorithm": "AES_KEY_WRAP_PAD"})
    assert unb64(r["WrappedKey"]) == keywrap.aes_key_wrap_with_padding(KEK, KEY_DATA)

    alias = f"unwrapped-{os.urandom(3).hex()}"
    new = raw.call("UnwrapKey", {"KeyId": imported, "Algorithm": "AES_KEY_WRAP", "WrappedKey": b64(WRAPPED),
                                 "KeyUsage": AES_256, "Alias": alias})
    assert new["KeyState"] == "Enabled" and new["KeyUsage"] == AES_256 and new["Alias"] == alias
    meta = kms.call("DescribeKey", {"KeyId": new["KeyId"]})["KeyMetadata"]
    assert meta["Origin"] == "EXTERNAL" and meta["KeyState"] == "Enabled"
    enc = Cipher(algorithms.AES(KEY_DATA), modes.ECB()).encryptor()
    assert unb64(raw.encrypt(new["KeyId"], "AES_ECB", b"E" * 16)["CiphertextBlob"]) == enc.update(b"E" * 16) + enc.finalize()
    from test_kms_import_and_archive import wrap
    p = kms.call("GetParametersForImport", {"KeyId": new["KeyId"], "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                            "WrappingKeySpec": "RSA_2048"})
    assert kms.error("ImportKeyMaterial", {"KeyId": new["KeyId"], "ImportToken": p["ImportToken"],
                                           "EncryptedKeyMaterial": wrap(p, os.urandom(32), "RSAES_OAEP_SHA_256")}) \
        == "InvalidParameterValue.MaterialNotMatch"                    # its material is kept like imported material

    made = kms.create(AES_256)                                          # KMS-made material never leaves
    assert raw.error("WrapKey", {"KeyId": imported, "TargetKeyId": made, "Algorithm": "AES_KEY_WRAP"}) \
        == "UnsupportedOperation"
    assert raw.error("WrapKey", {"KeyId": imported, "TargetKeyId": target, "Algorithm": "AES_GCM"}) \
        == "InvalidParameterValue"
    unwrap = lambda **p: raw.error("UnwrapKey", {"KeyId": imported, "Algorithm": "AES_KEY_WRAP", "WrappedKey": b64(WRAPPED),
                                                 "KeyUsage": AES_256, "Alias": f"u-{os.urandom(3).hex()}", **p})
    assert unwrap(WrappedKey=b64(WRAPPED[:-1] + b"\x00")) == "FailedOperation.DecryptError"
    assert unwrap(KeyUsage=AES_128) == "InvalidParameterValue.InvalidImportKeyMaterial"
    assert unwrap(KeyUsage="ASYMMETRIC_DECRYPT_SM2") == "InvalidParameterValue.InvalidKeyUsage"
    assert unwrap(Alias="kms-reserved") == "InvalidParameterValue.InvalidAlias"
    acct2 = new_account("wrap-other")
    other, own = Raw(stack, acct2), Kms(stack.endpoint, acct2).create(AES_256)
    assert other.error("WrapKey", {"KeyId": imported, "TargetKeyId": target, "Algorithm": "AES_KEY_WRAP"}) \
        == "ResourceUnavailable.CmkNotFound"
    assert other.error("WrapKey", {"KeyId": own, "TargetKeyId": target, "Algorithm": "AES_KEY_WRAP"}) \
        == "ResourceUnavailable.CmkNotFound"                           # nor another account's key to wrap
    assert other.error("UnwrapKey", {"KeyId": imported, "Algorithm": "AES_KEY_WRAP", "WrappedKey": b64(WRAPPED),
                                     "KeyUsage": AES_256, "Alias": "stolen"}) == "ResourceUnavailable.CmkNotFound"


def test_tccli_makes_aes_keys_and_raw_calls_are_audited(stack, kms, raw, audit, tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path
    tccli = str(Path(sys.executable).parent / "tccli")
    out = subprocess.run([tccli, "kms", "CreateKey", "--region", "ap-guangzhou", "--endpoint", f"http://{stack.endpoint}",
                          "--secretId", kms.acct["SecretId"], "--secretKey", kms.acct["SecretKey"],
                          "--Alias", f"tccli-aes-{os.urandom(3).hex()}", "--KeyUsage", AES_256],
                         capture_output=True, text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.returncode == 0, out.stderr
    key_id = json.loads(out.stdout)["KeyId"]
    assert kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]["KeyUsage"] == AES_256
    secret = b"audit must not see this"
    r = raw.encrypt(key_id, "AES_GCM", secret)
    event = audit.by_request(r["RequestId"])
    assert event["EventName"] == "SymmetricEncrypt" and event["ResourceName"] == key_id
    assert event["RequestParameters"]["Plaintext"] == "******" and b64(secret) not in json.dumps(event)
    d = raw.call("SymmetricDecrypt", {"KeyId": key_id, "Algorithm": "AES_GCM", "CiphertextBlob": r["CiphertextBlob"],
                                      "Iv": r["Iv"]})
    assert unb64(d["Plaintext"]) == secret and b64(secret) not in json.dumps(audit.by_request(d["RequestId"]))
    assert raw.error("SymmetricDecrypt", {"KeyId": key_id, "Algorithm": "AES_GCM", "CiphertextBlob": r["CiphertextBlob"]}) \
        == "InvalidParameterValue"
