"""Post-quantum keys: ML-KEM (FIPS 203) and ML-DSA (FIPS 204), on `cryptography` (>= 47, OpenSSL 3.5+).

    PARAMETER_SETS                      ("ML-KEM-768", "ML-KEM-1024", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87")
    supported(name) -> bool             whether the backend offers the parameter set
    generate(name) -> private key
    private_key_to_seed(key) -> bytes   the seed form (64 bytes ML-KEM, 32 bytes ML-DSA), never the expanded key
    private_key_from_seed(name, seed)
    public_key_to_der(key)              SubjectPublicKeyInfo DER of a private or public key
    public_key_from_der(name, der)
    encapsulate(public_key) -> (shared secret (32 B), KEM ciphertext)
    decapsulate(private_key, ciphertext) -> shared secret
        a ciphertext of the wrong length is InvalidInput; a tampered one of the right length yields
        a pseudo-random secret (FIPS 203 implicit rejection), so callers authenticate what it protects
    sign(private_key, data, context=b"") -> signature   (pure ML-DSA, hedged)
    verify(public_key, signature, data, context=b"") -> None, raises InvalidSignature
"""
from __future__ import annotations

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _CryptographyUnsupported
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mldsa, mlkem

from .errors import InvalidInput, InvalidKey, InvalidSignature, UnsupportedAlgorithm

_PRIVATE = {
    "ML-KEM-768": mlkem.MLKEM768PrivateKey,
    "ML-KEM-1024": mlkem.MLKEM1024PrivateKey,
    "ML-DSA-44": mldsa.MLDSA44PrivateKey,
    "ML-DSA-65": mldsa.MLDSA65PrivateKey,
    "ML-DSA-87": mldsa.MLDSA87PrivateKey,
}
_PUBLIC = {
    "ML-KEM-768": mlkem.MLKEM768PublicKey,
    "ML-KEM-1024": mlkem.MLKEM1024PublicKey,
    "ML-DSA-44": mldsa.MLDSA44PublicKey,
    "ML-DSA-65": mldsa.MLDSA65PublicKey,
    "ML-DSA-87": mldsa.MLDSA87PublicKey,
}
PARAMETER_SETS = tuple(_PRIVATE)
SHARED_SECRET_SIZE = 32
_supported: dict = {}


def _class(table: dict, name: str):
    try:
        return table[name]
    except KeyError:
        raise UnsupportedAlgorithm(f"unknown post-quantum parameter set {name!r}") from None


def supported(name: str) -> bool:
    if name not in _supported:
        try:
            _class(_PRIVATE, name).generate()
            _supported[name] = True
        except (_CryptographyUnsupported, UnsupportedAlgorithm):
            _supported[name] = False
    return _supported[name]


def generate(name: str):
    try:
        return _class(_PRIVATE, name).generate()
    except _CryptographyUnsupported:
        raise UnsupportedAlgorithm(f"{name} is not offered by this OpenSSL") from None


def private_key_to_seed(key) -> bytes:
    return key.private_bytes_raw()


def private_key_from_seed(name: str, seed: bytes):
    try:
        return _class(_PRIVATE, name).from_seed_bytes(bytes(seed))
    except ValueError:
        raise InvalidKey(f"a {name} seed has the wrong length") from None


def public_key_to_der(key) -> bytes:
    public = key.public_key() if hasattr(key, "public_key") else key
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_from_der(name: str, der: bytes):
    try:
        key = serialization.load_der_public_key(bytes(der))
    except (ValueError, _CryptographyUnsupported):
        raise InvalidKey("not a DER SubjectPublicKeyInfo") from None
    if not isinstance(key, _class(_PUBLIC, name)):
        raise InvalidKey(f"not a {name} public key")
    return key


def encapsulate(public_key):
    return public_key.encapsulate()


def decapsulate(private_key, ciphertext: bytes) -> bytes:
    try:
        return private_key.decapsulate(bytes(ciphertext))
    except ValueError:
        raise InvalidInput("the ML-KEM ciphertext has the wrong length") from None


def sign(private_key, data: bytes, context: bytes = b"") -> bytes:
    return private_key.sign(bytes(data), context or None)


def verify(public_key, signature: bytes, data: bytes, context: bytes = b"") -> None:
    try:
        public_key.verify(bytes(signature), bytes(data), context or None)
    except _CryptographyInvalidSignature:
        raise InvalidSignature("the ML-DSA signature does not verify") from None
