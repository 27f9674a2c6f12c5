"""Cryptographic primitives for the HSM, audit and bastion services.

Modules, each a small functional interface (see its docstring):

    sm2         SM2 keys, signatures (Z value + SM3), encryption (C1C3C2)
    sm3         SM3 and the GB/T 32918 KDF
    symmetric   SM4 / AES / 3DES in ECB, CBC, CTR; SM4 / AES in GCM
    digest      SM3, SHA-1, SHA-2
    mac         HMAC, CMAC (AES, SM4)
    rsa_keys    RSA 1024-4096: OAEP / PKCS#1 v1.5 encryption, PSS / PKCS#1 v1.5 signatures
    ecc         ECDSA and ECDH on P-256, P-384, brainpoolP256r1, secp256k1; X25519
    pqc         ML-KEM (FIPS 203) and ML-DSA (FIPS 204)
    rng         random_bytes(n) from the OS CSPRNG
    errors      CryptoError and its subclasses
    sm2_curve   SM2 point arithmetic used by sm2 (constant-sequence secret paths)
    asn1        the strict DER / PEM subset used for SM2 encodings

All errors raised on bad input or failed verification derive from CryptoError.
"""

from . import digest, ecc, keywrap, mac, rng, rsa_keys, sm2, sm3, symmetric
from .errors import (
    CryptoError,
    DecryptionFailed,
    InvalidInput,
    InvalidKey,
    InvalidSignature,
    InvalidTag,
    UnsupportedAlgorithm,
)
from .rng import random_bytes

__all__ = [
    "digest", "ecc", "keywrap", "mac", "rng", "rsa_keys", "sm2", "sm3", "symmetric",
    "CryptoError", "DecryptionFailed", "InvalidInput", "InvalidKey", "InvalidSignature",
    "InvalidTag", "UnsupportedAlgorithm", "random_bytes",
]
