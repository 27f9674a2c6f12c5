"""Key material of each kind: generate it, serialise it for wrapping, load it back, show its public key.

    SM4       16 random bytes
    AES_256, AES_128
              32 / 16 random bytes
    SM2       PKCS#8 DER (with its public key), layers.crypto.sm2
    RSA_2048  PKCS#8 DER, layers.crypto.rsa_keys
    EC_P256   the 32-byte private scalar, layers.crypto.ecc
    ML-KEM-768, ML-KEM-1024, ML-DSA-44, ML-DSA-65, ML-DSA-87
              the seed (64 / 32 bytes) the key is expanded from, layers.crypto.pqc

Two thin adapters over `cryptography` live here because the crypto layer does not offer them:
loading an RSA key we generated ourselves without OpenSSL's full key check (it costs ~0.1 s per
load; our material is authenticated by its wrapping), and the SubjectPublicKeyInfo of an EC key.
"""
from typing import Optional, Tuple

from cryptography.hazmat.primitives import serialization

from layers.crypto import asn1, ecc, pqc, random_bytes, rsa_keys, sm2

SM4_KEY_SIZE = 16
SECRET_SIZES = {"SM4": SM4_KEY_SIZE, "AES_256": 32, "AES_128": 16}     # symmetric material, in bytes


def generate(material: str) -> Tuple[bytes, Optional[bytes]]:
    """(secret material to wrap, SubjectPublicKeyInfo DER or None)."""
    if material in SECRET_SIZES:
        return random_bytes(SECRET_SIZES[material]), None
    if material == "SM2":
        key = sm2.SM2PrivateKey.generate()
        return key.to_der(), key.public_key.to_der()
    if material == "RSA_2048":
        key = rsa_keys.generate_private_key(2048)
        return rsa_keys.private_key_to_der(key), rsa_keys.public_key_to_der(key.public_key())
    if material == "EC_P256":
        key = ecc.generate_private_key("P256")
        return ecc.private_key_to_bytes(key), _ec_public_der(key.public_key())
    if material in pqc.PARAMETER_SETS:
        key = pqc.generate(material)
        return pqc.private_key_to_seed(key), pqc.public_key_to_der(key)
    raise ValueError(f"unknown key material {material}")


def load(material: str, secret: bytes):
    """The usable key object: bytes (SM4, AES), SM2PrivateKey, RSAPrivateKey, EllipticCurvePrivateKey."""
    if material in SECRET_SIZES:
        return bytes(secret)
    if material == "SM2":
        return sm2.SM2PrivateKey.from_der(secret)
    if material == "RSA_2048":
        return serialization.load_der_private_key(secret, password=None, unsafe_skip_rsa_key_validation=True)
    if material == "EC_P256":
        return ecc.private_key_from_bytes("P256", secret)
    if material in pqc.PARAMETER_SETS:
        return pqc.private_key_from_seed(material, secret)
    raise ValueError(f"unknown key material {material}")


def public_der(material: str, key) -> bytes:
    if material == "SM2":
        return key.public_key.to_der()
    if material == "RSA_2048":
        return rsa_keys.public_key_to_der(key.public_key())
    if material == "EC_P256":
        return _ec_public_der(key.public_key())
    if material in pqc.PARAMETER_SETS:
        return pqc.public_key_to_der(key)
    raise ValueError(f"{material} keys have no public key")


def public_pem(der: bytes) -> str:
    return asn1.pem_encode("PUBLIC KEY", der).decode()


def _ec_public_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
