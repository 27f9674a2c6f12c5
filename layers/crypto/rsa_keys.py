"""RSA 1024-4096 through `cryptography` (OpenSSL).

    generate_private_key(bits=2048, public_exponent=65537) -> RSAPrivateKey
    encrypt(public_key, plaintext, padding="OAEP", hash_algorithm="SHA256") -> bytes
    decrypt(private_key, ciphertext, padding="OAEP", hash_algorithm="SHA256") -> bytes
    sign(private_key, data, padding="PSS", hash_algorithm="SHA256", prehashed=False) -> bytes
    verify(public_key, signature, data, padding="PSS", hash_algorithm="SHA256", prehashed=False)
        -> None, raises InvalidSignature
    private_key_to_der / _pem (PKCS#8), public_key_to_der / _pem (SubjectPublicKeyInfo),
    load_private_key(data), load_public_key(data) (PEM or DER; PKCS#1, PKCS#8, SPKI)

padding: "OAEP" or "PKCS1v15" for encryption, "PSS" or "PKCS1v15" for
signatures. OAEP uses MGF1 with the same hash. PSS signs with a salt as long
as the digest and verifies any salt length. PKCS#1 v1.5 decryption follows
OpenSSL's implicit rejection: a malformed ciphertext decrypts to a
deterministic pseudo-random message rather than raising, so no padding
oracle is exposed; use OAEP when tampering must be detected.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _CryptographyUnsupported
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as _padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from .digest import normalise
from .errors import DecryptionFailed, InvalidInput, InvalidKey, InvalidSignature, UnsupportedAlgorithm

KEY_SIZES = (1024, 2048, 3072, 4096)
_HASHES = {
    "SHA1": hashes.SHA1,
    "SHA224": hashes.SHA224,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}

RSAPrivateKey = rsa.RSAPrivateKey
RSAPublicKey = rsa.RSAPublicKey


def _hash(name: str) -> hashes.HashAlgorithm:
    name = normalise(name)
    if name not in _HASHES:
        raise UnsupportedAlgorithm(f"{name} is not offered with RSA")
    return _HASHES[name]()


def _check_size(key) -> None:
    if key.key_size < 1024 or key.key_size > 4096:
        raise InvalidKey(f"RSA key size {key.key_size} is outside 1024-4096 bits")


def _private(key) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidKey("expected an RSA private key")
    _check_size(key)
    return key


def _public(key) -> rsa.RSAPublicKey:
    if isinstance(key, rsa.RSAPrivateKey):
        key = key.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidKey("expected an RSA public key")
    _check_size(key)
    return key


def generate_private_key(bits: int = 2048, public_exponent: int = 65537) -> rsa.RSAPrivateKey:
    if bits not in KEY_SIZES:
        raise InvalidKey(f"RSA key size must be one of {KEY_SIZES}")
    if public_exponent not in (3, 65537):
        raise InvalidKey("RSA public exponent must be 65537 (or 3)")
    return rsa.generate_private_key(public_exponent=public_exponent, key_size=bits)


def _encryption_padding(padding: str, hash_algorithm: str):
    name = padding.upper().replace("-", "").replace("_", "")
    if name == "OAEP":
        h = _hash(hash_algorithm)
        return _padding.OAEP(mgf=_padding.MGF1(h), algorithm=h, label=None)
    if name in ("PKCS1V15", "PKCS1"):
        return _padding.PKCS1v15()
    raise UnsupportedAlgorithm(f"unsupported RSA encryption padding {padding!r}")


def encrypt(public_key, plaintext: bytes, padding: str = "OAEP",
            hash_algorithm: str = "SHA256") -> bytes:
    key = _public(public_key)
    pad = _encryption_padding(padding, hash_algorithm)
    try:
        return key.encrypt(bytes(plaintext), pad)
    except ValueError:
        raise InvalidInput("plaintext is too long for this RSA key and padding") from None


def decrypt(private_key, ciphertext: bytes, padding: str = "OAEP",
            hash_algorithm: str = "SHA256") -> bytes:
    key = _private(private_key)
    pad = _encryption_padding(padding, hash_algorithm)
    if len(ciphertext) != key.key_size // 8 + (1 if key.key_size % 8 else 0):
        raise DecryptionFailed("RSA ciphertext length does not match the key")
    try:
        return key.decrypt(bytes(ciphertext), pad)
    except ValueError:
        raise DecryptionFailed("RSA decryption failed") from None


def _signature_args(padding: str, hash_algorithm: str, prehashed: bool, signing: bool):
    h = _hash(hash_algorithm)
    name = padding.upper().replace("-", "").replace("_", "")
    if name == "PSS":
        salt = _padding.PSS.DIGEST_LENGTH if signing else _padding.PSS.AUTO
        pad = _padding.PSS(mgf=_padding.MGF1(h), salt_length=salt)
    elif name in ("PKCS1V15", "PKCS1"):
        pad = _padding.PKCS1v15()
    else:
        raise UnsupportedAlgorithm(f"unsupported RSA signature padding {padding!r}")
    return pad, (Prehashed(h) if prehashed else h), h


def sign(private_key, data: bytes, padding: str = "PSS", hash_algorithm: str = "SHA256",
         prehashed: bool = False) -> bytes:
    key = _private(private_key)
    pad, alg, h = _signature_args(padding, hash_algorithm, prehashed, True)
    if prehashed and len(data) != h.digest_size:
        raise InvalidInput(f"prehashed data must be {h.digest_size} bytes for {h.name}")
    return key.sign(bytes(data), pad, alg)


def verify(public_key, signature: bytes, data: bytes, padding: str = "PSS",
           hash_algorithm: str = "SHA256", prehashed: bool = False) -> None:
    key = _public(public_key)
    pad, alg, h = _signature_args(padding, hash_algorithm, prehashed, False)
    if prehashed and len(data) != h.digest_size:
        raise InvalidInput(f"prehashed data must be {h.digest_size} bytes for {h.name}")
    try:
        key.verify(bytes(signature), bytes(data), pad, alg)
    except _CryptographyInvalidSignature:
        raise InvalidSignature("RSA signature does not verify") from None


def private_key_to_der(key) -> bytes:
    return _private(key).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_key_to_pem(key) -> bytes:
    return _private(key).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_to_der(key) -> bytes:
    return _public(key).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_to_pem(key) -> bytes:
    return _public(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private_key(data: bytes) -> rsa.RSAPrivateKey:
    """PEM or DER, PKCS#1 or PKCS#8, unencrypted."""
    data = bytes(data)
    loader = (serialization.load_pem_private_key if data.lstrip().startswith(b"-----")
              else serialization.load_der_private_key)
    try:
        key = loader(data, password=None)
    except (ValueError, TypeError, _CryptographyUnsupported):
        raise InvalidKey("malformed or unsupported RSA private key") from None
    return _private(key)


def load_public_key(data: bytes) -> rsa.RSAPublicKey:
    """PEM or DER SubjectPublicKeyInfo (or PEM PKCS#1 RSA PUBLIC KEY)."""
    data = bytes(data)
    loader = (serialization.load_pem_public_key if data.lstrip().startswith(b"-----")
              else serialization.load_der_public_key)
    try:
        key = loader(data)
    except (ValueError, TypeError, _CryptographyUnsupported):
        raise InvalidKey("malformed or unsupported RSA public key") from None
    return _public(key)
