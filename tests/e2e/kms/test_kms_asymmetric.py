"""Asymmetric keys through the typed KmsClient: GetPublicKey, SignByAsymmetricKey / VerifyByAsymmetricKey
(RAW and DIGEST), AsymmetricSm2Decrypt, AsymmetricRsaDecrypt; signatures and ciphertexts interoperate
with what other implementations (OpenSSL via `cryptography`, gmssl) make and check."""
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from gmssl import sm2 as gmssl_sm2

from kms_helpers import b64, kms, unb64  # noqa: F401 (kms is a fixture)
from layers.crypto import sm2


def public_key(kms, key_id):
    r = kms.call("GetPublicKey", {"KeyId": key_id})
    der = unb64(r["PublicKey"])
    assert r["KeyId"] == key_id and r["PublicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert r["PublicKeyPem"].strip().endswith("-----END PUBLIC KEY-----")
    return der, r["PublicKeyPem"]


def sign(kms, key_id, algorithm, message, message_type=None):
    params = {"KeyId": key_id, "Algorithm": algorithm, "Message": b64(message)}
    if message_type:
        params["MessageType"] = message_type
    return unb64(kms.call("SignByAsymmetricKey", params)["Signature"])


def verify(kms, key_id, algorithm, message, signature, message_type=None):
    params = {"KeyId": key_id, "Algorithm": algorithm, "Message": b64(message), "SignatureValue": b64(signature)}
    if message_type:
        params["MessageType"] = message_type
    return kms.call("VerifyByAsymmetricKey", params)["SignatureValid"]


def gmssl_ready_key(kms, usage: str):
    """A key whose public x||y hex does not start with "04": gmssl's CryptSM2 takes
    `public_key.lstrip("04")`, which corrupts such a key (about one in 256)."""
    while True:
        key_id = kms.create(usage)
        der, pem = public_key(kms, key_id)
        public = sm2.SM2PublicKey.from_der(der)
        if not public.raw.hex().startswith("04"):
            return key_id, der, pem, public


def test_sm2_signatures_raw_and_digest_interoperate(kms):
    key_id, der, pem, public = gmssl_ready_key(kms, "ASYMMETRIC_SIGN_VERIFY_SM2")
    assert sm2.SM2PublicKey.from_pem(pem) == public
    message = b"transfer 100 to alice"
    signature = sign(kms, key_id, "SM2DSA", message)
    assert signature[0] == 0x30                                      # DER
    public.verify(signature, message, der=True)
    checker = gmssl_sm2.CryptSM2(private_key=None, public_key=public.raw.hex())
    assert checker.verify_with_sm3(sm2.signature_from_der(signature).hex(), message)
    digest = public.message_digest(message)                          # e = SM3(Z || M), default ID
    signed_digest = sign(kms, key_id, "SM2DSA", digest, "DIGEST")
    public.verify(signed_digest, message, der=True)
    assert verify(kms, key_id, "SM2DSA", message, signature) is True
    assert verify(kms, key_id, "SM2DSA", digest, signed_digest, "DIGEST") is True
    assert verify(kms, key_id, "SM2DSA", message, sm2.signature_from_der(signature)) is True   # raw r||s too
    mine = sm2.SM2PrivateKey.generate()
    assert verify(kms, key_id, "SM2DSA", message, mine.sign(message, der=True)) is False       # another key's
    assert verify(kms, key_id, "SM2DSA", b"transfer 900 to alice", signature) is False
    assert verify(kms, key_id, "SM2DSA", message, b"\x30\x02\x01\x01") is False


def test_ecc_signatures_interoperate(kms):
    key_id = kms.create("ASYMMETRIC_SIGN_VERIFY_ECC")
    der, _ = public_key(kms, key_id)
    public = serialization.load_der_public_key(der)
    assert isinstance(public.curve, ec.SECP256R1)
    message = b"ecdsa please"
    public.verify(sign(kms, key_id, "ECC_P256_R1", message), message, ec.ECDSA(hashes.SHA256()))
    digest = hashlib.sha256(message).digest()
    public.verify(sign(kms, key_id, "ECC_P256_R1", digest, "DIGEST"), message, ec.ECDSA(hashes.SHA256()))
    mine = ec.generate_private_key(ec.SECP256R1())
    assert verify(kms, key_id, "ECC_P256_R1", message, mine.sign(message, ec.ECDSA(hashes.SHA256()))) is False
    ours = sign(kms, key_id, "ECC_P256_R1", message)
    assert verify(kms, key_id, "ECC_P256_R1", message, ours) is True


@pytest.mark.parametrize("algorithm", ["RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"])
def test_rsa_signatures_interoperate(kms, algorithm):
    key_id = kms.create("ASYMMETRIC_SIGN_VERIFY_RSA_2048")
    der, _ = public_key(kms, key_id)
    public = serialization.load_der_public_key(der)
    assert public.key_size == 2048
    pad = (padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
           if algorithm == "RSA_PSS_SHA_256" else padding.PKCS1v15())
    message = b"rsa please"
    public.verify(sign(kms, key_id, algorithm, message), message, pad, hashes.SHA256())
    public.verify(sign(kms, key_id, algorithm, hashlib.sha256(message).digest(), "DIGEST"), message, pad,
                  hashes.SHA256())
    assert verify(kms, key_id, algorithm, message, sign(kms, key_id, algorithm, message)) is True
    assert verify(kms, key_id, algorithm, b"other", sign(kms, key_id, algorithm, message)) is False


def test_signing_errors(kms):
    key_id = kms.create("ASYMMETRIC_SIGN_VERIFY_SM2")
    base = {"KeyId": key_id, "Algorithm": "SM2DSA", "Message": b64(b"m")}
    assert kms.error("SignByAsymmetricKey", {**base, "Algorithm": "RSA_PSS_SHA_256"}) == "InvalidParameterValue"
    assert kms.error("SignByAsymmetricKey", {**base, "MessageType": "DIGEST"}) == "InvalidParameterValue"
    assert kms.error("SignByAsymmetricKey", {**base, "MessageType": "HEX"}) == "InvalidParameterValue"
    assert kms.error("SignByAsymmetricKey", {**base, "Message": b64(b"m" * 4097)}) == "InvalidParameterValue"
    assert kms.error("SignByAsymmetricKey", {**base, "Message": "%%%"}) == "InvalidParameterValue"
    assert kms.error("VerifyByAsymmetricKey", {**base, "SignatureValue": "%%%"}) == "InvalidParameterValue"
    assert kms.error("SignByAsymmetricKey", {"KeyId": key_id, "Message": b64(b"m")}) == "MissingParameter"
    symmetric = kms.create()
    assert kms.error("SignByAsymmetricKey", {**base, "KeyId": symmetric}) == "InvalidParameterValue.InvalidKeyUsage"
    decrypting = kms.create("ASYMMETRIC_DECRYPT_SM2")
    assert kms.error("SignByAsymmetricKey", {**base, "KeyId": decrypting}) == "InvalidParameterValue.InvalidKeyUsage"
    kms.call("DisableKey", {"KeyId": key_id})
    assert kms.error("SignByAsymmetricKey", base) == "ResourceUnavailable.CmkDisabled"
    assert kms.error("VerifyByAsymmetricKey", {**base, "SignatureValue": b64(b"s")}) == "ResourceUnavailable.CmkDisabled"
    assert kms.error("GetPublicKey", {"KeyId": key_id}) == "ResourceUnavailable.CmkDisabled"
    assert kms.error("GetPublicKey", {"KeyId": symmetric}) == "InvalidParameterValue.InvalidKeyUsage"
    assert kms.error("VerifyByAsymmetricKey", {**base, "KeyId": symmetric, "SignatureValue": b64(b"s")}) == \
        "InvalidParameterValue.InvalidKeyUsage"
    kms.call("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
    assert kms.error("SignByAsymmetricKey", base) == "ResourceUnavailable.CmkStateNotSupport"
    assert kms.error("GetPublicKey", {"KeyId": key_id}) == "ResourceUnavailable.CmkStateNotSupport"


def test_sm2_decrypt_takes_asn1_and_raw_ciphertexts(kms):
    key_id, _, _, public = gmssl_ready_key(kms, "ASYMMETRIC_DECRYPT_SM2")
    raw = public.encrypt(b"sm2 secret")
    for ciphertext in (sm2.ciphertext_to_der(raw), raw):
        r = kms.call("AsymmetricSm2Decrypt", {"KeyId": key_id, "Ciphertext": b64(ciphertext)})
        assert r["KeyId"] == key_id and unb64(r["Plaintext"]) == b"sm2 secret"
    by_gmssl = gmssl_sm2.CryptSM2(private_key=None, public_key=public.raw.hex(), mode=1).encrypt(b"from gmssl")
    r = kms.call("AsymmetricSm2Decrypt", {"KeyId": key_id, "Ciphertext": b64(sm2.ciphertext_to_der(b"\x04" + by_gmssl))})
    assert unb64(r["Plaintext"]) == b"from gmssl"


def test_sm2_decrypt_errors(kms):
    key_id = kms.create("ASYMMETRIC_DECRYPT_SM2")
    other = sm2.SM2PrivateKey.generate().public_key.encrypt(b"not for this key")
    assert kms.error("AsymmetricSm2Decrypt", {"KeyId": key_id, "Ciphertext": b64(sm2.ciphertext_to_der(other))}) == \
        "FailedOperation.DecryptError"
    public = sm2.SM2PublicKey.from_der(public_key(kms, key_id)[0])
    tampered = bytearray(public.encrypt(b"tamper"))
    tampered[-1] ^= 1
    assert kms.error("AsymmetricSm2Decrypt", {"KeyId": key_id, "Ciphertext": b64(bytes(tampered))}) == \
        "FailedOperation.DecryptError"
    assert kms.error("AsymmetricSm2Decrypt", {"KeyId": key_id, "Ciphertext": b64(b"\x30\x03\x02\x01\x01")}) == \
        "InvalidParameterValue.InvalidCiphertext"
    too_long = sm2.ciphertext_to_der(public.encrypt(b"x" * 200))
    assert kms.error("AsymmetricSm2Decrypt", {"KeyId": key_id, "Ciphertext": b64(too_long)}) == \
        "InvalidParameterValue.InvalidCiphertext"
    assert kms.error("AsymmetricSm2Decrypt", {"KeyId": key_id, "Ciphertext": "!!"}) == \
        "InvalidParameterValue.InvalidCiphertext"
    rsa_key = kms.create("ASYMMETRIC_DECRYPT_RSA_2048")
    assert kms.error("AsymmetricSm2Decrypt", {"KeyId": rsa_key, "Ciphertext": b64(bytes(tampered))}) == \
        "InvalidParameterValue.InvalidKeyUsage"


def test_rsa_decrypt_every_algorithm_and_its_errors(kms):
    key_id = kms.create("ASYMMETRIC_DECRYPT_RSA_2048")
    public = serialization.load_der_public_key(public_key(kms, key_id)[0])
    paddings = {"RSAES_OAEP_SHA_256": padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
                "RSAES_OAEP_SHA_1": padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
                "RSAES_PKCS1_V1_5": padding.PKCS1v15()}
    for algorithm, pad in paddings.items():
        r = kms.call("AsymmetricRsaDecrypt", {"KeyId": key_id, "Algorithm": algorithm,
                                              "Ciphertext": b64(public.encrypt(b"rsa secret", pad))})
        assert r["KeyId"] == key_id and unb64(r["Plaintext"]) == b"rsa secret", algorithm
    sha1_made = public.encrypt(b"rsa secret", paddings["RSAES_OAEP_SHA_1"])
    assert kms.error("AsymmetricRsaDecrypt", {"KeyId": key_id, "Algorithm": "RSAES_OAEP_SHA_256",
                                              "Ciphertext": b64(sha1_made)}) == "FailedOperation.DecryptError"
    assert kms.error("AsymmetricRsaDecrypt", {"KeyId": key_id, "Algorithm": "RSAES_OAEP_SHA_256",
                                              "Ciphertext": b64(b"short")}) == "InvalidParameterValue.InvalidCiphertext"
    assert kms.error("AsymmetricRsaDecrypt", {"KeyId": key_id, "Algorithm": "RSA_RAW",
                                              "Ciphertext": b64(sha1_made)}) == "InvalidParameterValue"
    sign_key = kms.create("ASYMMETRIC_SIGN_VERIFY_RSA_2048")
    assert kms.error("AsymmetricRsaDecrypt", {"KeyId": sign_key, "Algorithm": "RSAES_OAEP_SHA_1",
                                              "Ciphertext": b64(sha1_made)}) == "InvalidParameterValue.InvalidKeyUsage"
