"""Post-quantum CMKs through the typed KmsClient: ML-KEM keys (PostQuantumCryptoEncrypt / Decrypt, a hybrid
KEM + AES-256-GCM envelope) and ML-DSA keys (PostQuantumCryptoSign / Verify); their public keys
(GetPublicKey) work with `cryptography`'s own ML-KEM and ML-DSA."""
import base64
import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import mldsa, mlkem, padding, rsa

from kms_helpers import REGION, Kms, b64, kms, new_account, unb64  # noqa: F401 (kms is a fixture)

KEM_768, KEM_1024 = "ASYMMETRIC_DECRYPT_ML_KEM_768", "ASYMMETRIC_DECRYPT_ML_KEM_1024"
DSA = {44: "ASYMMETRIC_SIGN_VERIFY_ML_DSA_44", 65: "ASYMMETRIC_SIGN_VERIFY_ML_DSA_65",
       87: "ASYMMETRIC_SIGN_VERIFY_ML_DSA_87"}


def pq_encrypt(kms, key_id, data: bytes) -> str:
    r = kms.call("PostQuantumCryptoEncrypt", {"KeyId": key_id, "PlainText": b64(data)})
    assert r["KeyId"] == key_id
    return r["CiphertextBlob"]


def pq_decrypt(kms, blob: str, **extra) -> bytes:
    return unb64(kms.call("PostQuantumCryptoDecrypt", {"CiphertextBlob": blob, **extra})["PlainText"])


def flip(blob: str, at: int) -> str:
    raw = bytearray(unb64(blob))
    raw[at] ^= 1
    return b64(bytes(raw))


def test_pqc_keys_are_listed_created_and_described(kms):
    algorithms = kms.call("ListAlgorithms")
    assert {"KeyUsage": KEM_768, "Algorithm": "ML_KEM_768"} in algorithms["AsymmetricAlgorithms"]
    assert {"KeyUsage": KEM_1024, "Algorithm": "ML_KEM_1024"} in algorithms["AsymmetricAlgorithms"]
    for n, usage in DSA.items():
        assert {"KeyUsage": usage, "Algorithm": f"ML_DSA_{n}"} in algorithms["AsymmetricSignVerifyAlgorithms"]
    key_id = kms.create(KEM_1024)
    meta = kms.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"]
    assert meta["KeyUsage"] == KEM_1024 and meta["KeyState"] == "Enabled" and meta["Type"] == 2
    listed = kms.call("ListKeyDetail", {"KeyUsage": KEM_1024})["KeyMetadatas"]
    assert [m["KeyId"] for m in listed] == [key_id]
    assert kms.error("EnableKeyRotation", {"KeyId": key_id}) == "UnsupportedOperation.RotateNotSupported"


@pytest.mark.parametrize("usage, cls", [(KEM_768, mlkem.MLKEM768PublicKey), (KEM_1024, mlkem.MLKEM1024PublicKey)])
def test_ml_kem_encrypt_decrypt_round_trip(kms, usage, cls):
    key_id = kms.create(usage)
    r = kms.call("GetPublicKey", {"KeyId": key_id})
    public = serialization.load_der_public_key(unb64(r["PublicKey"]))
    assert isinstance(public, cls)
    assert serialization.load_pem_public_key(r["PublicKeyPem"].encode()).public_bytes_raw() == public.public_bytes_raw()
    secret = b"database password \x00\xff" * 10
    blob = pq_encrypt(kms, key_id, secret)
    assert secret not in unb64(blob)
    assert pq_encrypt(kms, key_id, secret) != blob                          # a fresh encapsulation each time
    assert pq_decrypt(kms, blob) == secret
    most = bytes(range(256)) * 16                                          # 4096 bytes, the most
    assert pq_decrypt(kms, pq_encrypt(kms, key_id, most)) == most


def test_ml_kem_decrypt_to_the_callers_public_key(kms):
    key_id = kms.create(KEM_768)
    blob = pq_encrypt(kms, key_id, b"for my eyes")
    mine = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = mine.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    sealed = pq_decrypt(kms, blob, EncryptionPublicKey=pem, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    assert mine.decrypt(sealed, oaep) == b"for my eyes"


def test_ml_kem_refuses_tampered_foreign_and_wrong_blobs(stack, kms):
    key_id = kms.create(KEM_768)
    blob = pq_encrypt(kms, key_id, b"secret")
    invalid = "InvalidParameterValue.InvalidCiphertext"
    size = len(unb64(blob))
    for at in (50, 44 + 1088 - 1, 44 + 1088 + 5, size - 1):              # KEM ciphertext, nonce, body, tag
        assert kms.error("PostQuantumCryptoDecrypt", {"CiphertextBlob": flip(blob, at)}) == invalid, at
    assert kms.error("PostQuantumCryptoDecrypt", {"CiphertextBlob": flip(blob, 2)}) == invalid     # format
    assert kms.error("PostQuantumCryptoDecrypt", {"CiphertextBlob": b64(unb64(blob)[:500])}) == invalid
    assert kms.error("PostQuantumCryptoDecrypt", {"CiphertextBlob": "%%%"}) == invalid
    symmetric_blob = kms.encrypt(kms.create(), b"x")
    assert kms.error("PostQuantumCryptoDecrypt", {"CiphertextBlob": symmetric_blob}) == invalid
    assert kms.error("Decrypt", {"CiphertextBlob": blob}) == invalid
    intruder = Kms(stack.endpoint, new_account("pq-intruder"))
    assert intruder.error("PostQuantumCryptoDecrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkNotFound"
    assert intruder.error("PostQuantumCryptoEncrypt", {"KeyId": key_id, "PlainText": b64(b"x")}) == \
        "ResourceUnavailable.CmkNotFound"
    assert intruder.error("GetPublicKey", {"KeyId": key_id}) == "ResourceUnavailable.CmkNotFound"


def test_ml_kem_errors_and_states(kms):
    key_id = kms.create(KEM_768)
    base = {"KeyId": key_id, "PlainText": b64(b"x")}
    assert kms.error("PostQuantumCryptoEncrypt", {**base, "PlainText": b64(b"x" * 4097)}) == \
        "InvalidParameterValue.InvalidPlaintext"
    assert kms.error("PostQuantumCryptoEncrypt", {**base, "PlainText": "%%%"}) == "InvalidParameterValue.InvalidPlaintext"
    assert kms.error("PostQuantumCryptoEncrypt", {"KeyId": key_id}) == "MissingParameter"
    assert kms.error("PostQuantumCryptoEncrypt", {**base, "KeyId": "nope"}) == "InvalidParameterValue.InvalidKeyId"
    for other in (kms.create(), kms.create("ASYMMETRIC_DECRYPT_RSA_2048"), kms.create(DSA[65])):
        assert kms.error("PostQuantumCryptoEncrypt", {**base, "KeyId": other}) == \
            "InvalidParameterValue.InvalidKeyUsage"
    assert kms.error("Encrypt", {"KeyId": key_id, "Plaintext": b64(b"x")}) == "InvalidParameterValue.InvalidKeyUsage"
    assert kms.error("AsymmetricRsaDecrypt", {"KeyId": key_id, "Ciphertext": b64(b"x" * 256),
                                              "Algorithm": "RSAES_OAEP_SHA_256"}) == \
        "InvalidParameterValue.InvalidKeyUsage"
    blob = pq_encrypt(kms, key_id, b"kept")
    kms.call("ArchiveKey", {"KeyId": key_id})                                # archived: decrypts only
    assert kms.error("PostQuantumCryptoEncrypt", base) == "ResourceUnavailable.CmkArchived"
    assert pq_decrypt(kms, blob) == b"kept"
    kms.call("CancelKeyArchive", {"KeyId": key_id})
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("PostQuantumCryptoEncrypt", base) == "ResourceUnavailable.CmkDisabled"
    assert kms.error("PostQuantumCryptoDecrypt", {"CiphertextBlob": blob}) == "ResourceUnavailable.CmkDisabled"


@pytest.mark.parametrize("n, cls", [(44, mldsa.MLDSA44PublicKey), (65, mldsa.MLDSA65PublicKey),
                                    (87, mldsa.MLDSA87PublicKey)])
def test_ml_dsa_signatures_interoperate(kms, n, cls):
    key_id = kms.create(DSA[n])
    public = serialization.load_der_public_key(unb64(kms.call("GetPublicKey", {"KeyId": key_id})["PublicKey"]))
    assert isinstance(public, cls)
    message = b"post-quantum transfer of 100"
    signature = unb64(kms.call("PostQuantumCryptoSign", {"KeyId": key_id, "Message": b64(message)})["Signature"])
    public.verify(signature, message)                                        # raises if invalid

    def verify(sig, msg):
        return kms.call("PostQuantumCryptoVerify", {"KeyId": key_id, "SignatureValue": b64(sig),
                                                    "Message": b64(msg)})["SignatureValid"]
    assert verify(signature, message) is True
    assert verify(signature, b"post-quantum transfer of 900") is False
    assert verify(signature[:-1] + bytes([signature[-1] ^ 1]), message) is False
    assert verify(b"short", message) is False
    mine = {44: mldsa.MLDSA44PrivateKey, 65: mldsa.MLDSA65PrivateKey, 87: mldsa.MLDSA87PrivateKey}[n].generate()
    assert verify(mine.sign(message), message) is False                      # another key's signature


def test_ml_dsa_errors_and_states(kms):
    key_id = kms.create(DSA[44])
    base = {"KeyId": key_id, "Message": b64(b"m")}
    assert kms.error("PostQuantumCryptoSign", {**base, "Message": b64(b"m" * 4097)}) == "InvalidParameterValue"
    assert kms.error("PostQuantumCryptoSign", {**base, "Message": "%%%"}) == "InvalidParameterValue"
    assert kms.error("PostQuantumCryptoVerify", {**base, "SignatureValue": "%%%"}) == "InvalidParameterValue"
    for other in (kms.create(), kms.create("ASYMMETRIC_SIGN_VERIFY_SM2"), kms.create(KEM_768)):
        assert kms.error("PostQuantumCryptoSign", {**base, "KeyId": other}) == "InvalidParameterValue.InvalidKeyUsage"
    assert kms.error("SignByAsymmetricKey", {**base, "Algorithm": "SM2DSA"}) == "InvalidParameterValue.InvalidKeyUsage"
    signature = kms.call("PostQuantumCryptoSign", base)["Signature"]
    kms.call("ArchiveKey", {"KeyId": key_id})                                # archived: verifies only
    assert kms.error("PostQuantumCryptoSign", base) == "ResourceUnavailable.CmkArchived"
    assert kms.call("PostQuantumCryptoVerify", {**base, "SignatureValue": signature})["SignatureValid"] is True
    kms.call("CancelKeyArchive", {"KeyId": key_id})
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("PostQuantumCryptoSign", base) == "ResourceUnavailable.CmkDisabled"


def test_pqc_secrets_stay_out_of_audit_events(kms, audit):
    kem = kms.create(KEM_768)
    secret = b"audit must not see this"
    e = kms.call("PostQuantumCryptoEncrypt", {"KeyId": kem, "PlainText": b64(secret)})
    assert audit.by_request(e["RequestId"])["RequestParameters"]["PlainText"] == "******"
    dsa = kms.create(DSA[65])
    s = kms.call("PostQuantumCryptoSign", {"KeyId": dsa, "Message": b64(secret)})
    event = audit.by_request(s["RequestId"])
    assert event["RequestParameters"]["Message"] == "******"
    assert base64.b64encode(secret).decode() not in str(event)


def test_tccli_signs_with_a_post_quantum_key(stack, kms, tmp_path):
    key_id = kms.create(DSA[65])
    tccli = str(Path(__file__).resolve().parents[3] / ".venv" / "bin" / "tccli")
    out = subprocess.run([tccli, "kms", "PostQuantumCryptoSign", "--region", REGION, "--endpoint",
                          f"http://{stack.endpoint}", "--secretId", kms.acct["SecretId"], "--secretKey",
                          kms.acct["SecretKey"], "--KeyId", key_id, "--Message", b64(b"via tccli")],
                         capture_output=True, text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
                         timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    signature = json.loads(out.stdout)["Signature"]
    assert kms.call("PostQuantumCryptoVerify", {"KeyId": key_id, "SignatureValue": signature,
                                                "Message": b64(b"via tccli")})["SignatureValid"] is True
