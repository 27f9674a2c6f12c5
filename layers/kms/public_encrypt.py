"""EncryptionPublicKey / EncryptionAlgorithm of Decrypt and GenerateDataKey: the plaintext is
returned encrypted to the caller's own public key (RSA 2048 or SM2, PEM) instead of in the clear."""
from typing import Optional

from layers.crypto import CryptoError, rsa_keys, sm2
from layers.gateway.errors import invalid_value

ALGORITHMS = ("SM2", "SM2_C1C3C2_ASN1", "RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
# RSA encryption algorithm -> (padding, digest) of layers.crypto.rsa_keys; AsymmetricRsaDecrypt uses it too.
RSA_PADDINGS = {"RSAES_PKCS1_V1_5": ("PKCS1v15", "SHA256"), "RSAES_OAEP_SHA_1": ("OAEP", "SHA1"),
                "RSAES_OAEP_SHA_256": ("OAEP", "SHA256")}


def encrypt_for(pem: Optional[str], algorithm: Optional[str], plaintext: bytes) -> Optional[bytes]:
    """The plaintext encrypted to the PEM public key, or None when no key is given."""
    if not pem:
        return None
    algorithm = algorithm or "SM2"
    if algorithm not in ALGORITHMS:
        raise invalid_value("EncryptionAlgorithm", f"must be one of {', '.join(ALGORITHMS)}")
    try:
        if algorithm.startswith("SM2"):
            key = sm2.SM2PublicKey.from_pem(pem)
            out = key.encrypt(plaintext)
            return sm2.ciphertext_to_der(out) if algorithm == "SM2_C1C3C2_ASN1" else out
        key = rsa_keys.load_public_key(pem.encode())
    except CryptoError:
        raise invalid_value("EncryptionPublicKey", f"not a PEM public key usable with {algorithm}") from None
    if key.key_size != 2048:
        raise invalid_value("EncryptionPublicKey", "RSA public keys must be 2048-bit")
    padding, digest = RSA_PADDINGS[algorithm]
    try:
        return rsa_keys.encrypt(key, plaintext, padding, digest)
    except CryptoError:
        raise invalid_value("EncryptionPublicKey", f"the plaintext is too long for {algorithm} with this key") from None
