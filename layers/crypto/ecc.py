"""ECDSA and ECDH on NIST P-256 / P-384, brainpoolP256r1 and secp256k1; X25519.

    generate_private_key(curve) -> EllipticCurvePrivateKey
    ecdsa_sign(private_key, data, hash_algorithm="SHA256", *, prehashed=False, der=True) -> bytes
    ecdsa_verify(public_key, signature, data, hash_algorithm="SHA256", *, prehashed=False, der=True)
        -> None, raises InvalidSignature
    ecdh(private_key, peer_public_key) -> shared secret (x coordinate)
    private_key_from_bytes(curve, scalar) / private_key_to_bytes(key)
    public_key_from_bytes(curve, point) / public_key_to_bytes(key, compressed=False)
    x25519_generate() / x25519_private_key_from_bytes / x25519_public_key_from_bytes
    x25519_exchange(private_key, peer_public_key) -> 32 bytes

Signatures are DER by default; der=False gives raw r||s with each half the
size of the curve order. Everything runs on `cryptography` (OpenSSL);
point decoding rejects points that are not on the curve.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

from .digest import normalise
from .errors import InvalidInput, InvalidKey, InvalidSignature, UnsupportedAlgorithm

_CURVES = {
    "P256": ec.SECP256R1,
    "SECP256R1": ec.SECP256R1,
    "PRIME256V1": ec.SECP256R1,
    "P384": ec.SECP384R1,
    "SECP384R1": ec.SECP384R1,
    "BRAINPOOLP256R1": ec.BrainpoolP256R1,
    "SECP256K1": ec.SECP256K1,
}
CURVES = ("P-256", "P-384", "brainpoolP256r1", "secp256k1")
_HASHES = {
    "SHA1": hashes.SHA1,
    "SHA224": hashes.SHA224,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}


def curve(name: str) -> ec.EllipticCurve:
    key = name.upper().replace("-", "").replace("_", "").replace("NIST", "").strip()
    if key not in _CURVES:
        raise UnsupportedAlgorithm(f"unsupported curve {name!r}")
    return _CURVES[key]()


def _hash(name: str) -> hashes.HashAlgorithm:
    name = normalise(name)
    if name not in _HASHES:
        raise UnsupportedAlgorithm(f"{name} is not offered with ECDSA")
    return _HASHES[name]()


def _scalar_size(c: ec.EllipticCurve) -> int:
    return (c.key_size + 7) // 8


def _check_curve(c: ec.EllipticCurve) -> None:
    if type(c) not in set(_CURVES.values()):
        raise UnsupportedAlgorithm(f"unsupported curve {c.name}")


def _private(key) -> ec.EllipticCurvePrivateKey:
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InvalidKey("expected an EC private key")
    _check_curve(key.curve)
    return key


def _public(key) -> ec.EllipticCurvePublicKey:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        key = key.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InvalidKey("expected an EC public key")
    _check_curve(key.curve)
    return key


def generate_private_key(curve_name: str) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve(curve_name))


def private_key_from_bytes(curve_name: str, scalar: bytes) -> ec.EllipticCurvePrivateKey:
    c = curve(curve_name)
    if len(scalar) != _scalar_size(c):
        raise InvalidKey(f"{c.name} private key must be {_scalar_size(c)} bytes")
    try:
        return ec.derive_private_key(int.from_bytes(scalar, "big"), c)
    except ValueError:
        raise InvalidKey(f"{c.name} private key is out of range") from None


def private_key_to_bytes(key) -> bytes:
    key = _private(key)
    return key.private_numbers().private_value.to_bytes(_scalar_size(key.curve), "big")


def public_key_from_bytes(curve_name: str, point: bytes) -> ec.EllipticCurvePublicKey:
    """SEC1 uncompressed (04||x||y) or compressed (02/03||x) point."""
    c = curve(curve_name)
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(c, bytes(point))
    except ValueError:
        raise InvalidKey(f"not a valid {c.name} point") from None


def public_key_to_bytes(key, compressed: bool = False) -> bytes:
    fmt = (serialization.PublicFormat.CompressedPoint if compressed
           else serialization.PublicFormat.UncompressedPoint)
    return _public(key).public_bytes(serialization.Encoding.X962, fmt)


def ecdsa_sign(private_key, data: bytes, hash_algorithm: str = "SHA256", *,
               prehashed: bool = False, der: bool = True) -> bytes:
    key = _private(private_key)
    h = _hash(hash_algorithm)
    if prehashed and len(data) != h.digest_size:
        raise InvalidInput(f"prehashed data must be {h.digest_size} bytes for {h.name}")
    sig = key.sign(bytes(data), ec.ECDSA(Prehashed(h) if prehashed else h))
    if der:
        return sig
    r, s = decode_dss_signature(sig)
    size = _scalar_size(key.curve)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def ecdsa_verify(public_key, signature: bytes, data: bytes, hash_algorithm: str = "SHA256", *,
                 prehashed: bool = False, der: bool = True) -> None:
    key = _public(public_key)
    h = _hash(hash_algorithm)
    if prehashed and len(data) != h.digest_size:
        raise InvalidInput(f"prehashed data must be {h.digest_size} bytes for {h.name}")
    signature = bytes(signature)
    if not der:
        size = _scalar_size(key.curve)
        if len(signature) != 2 * size:
            raise InvalidSignature(f"raw signature must be {2 * size} bytes")
        signature = encode_dss_signature(
            int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        )
    try:
        key.verify(signature, bytes(data), ec.ECDSA(Prehashed(h) if prehashed else h))
    except (_CryptographyInvalidSignature, ValueError):
        raise InvalidSignature("ECDSA signature does not verify") from None


def ecdh(private_key, peer_public_key) -> bytes:
    key = _private(private_key)
    peer = _public(peer_public_key)
    if peer.curve.name != key.curve.name:
        raise InvalidKey("ECDH keys are on different curves")
    return key.exchange(ec.ECDH(), peer)


def x25519_generate() -> x25519.X25519PrivateKey:
    return x25519.X25519PrivateKey.generate()


def x25519_private_key_from_bytes(data: bytes) -> x25519.X25519PrivateKey:
    if len(data) != 32:
        raise InvalidKey("X25519 private key must be 32 bytes")
    return x25519.X25519PrivateKey.from_private_bytes(bytes(data))


def x25519_public_key_from_bytes(data: bytes) -> x25519.X25519PublicKey:
    if len(data) != 32:
        raise InvalidKey("X25519 public key must be 32 bytes")
    return x25519.X25519PublicKey.from_public_bytes(bytes(data))


def x25519_public_bytes(key) -> bytes:
    if isinstance(key, x25519.X25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def x25519_exchange(private_key, peer_public_key) -> bytes:
    """Shared secret; keys may be objects or raw 32-byte strings. A low-order peer key is refused."""
    if isinstance(private_key, (bytes, bytearray)):
        private_key = x25519_private_key_from_bytes(private_key)
    if isinstance(peer_public_key, (bytes, bytearray)):
        peer_public_key = x25519_public_key_from_bytes(peer_public_key)
    if not isinstance(private_key, x25519.X25519PrivateKey):
        raise InvalidKey("expected an X25519 private key")
    if not isinstance(peer_public_key, x25519.X25519PublicKey):
        raise InvalidKey("expected an X25519 public key")
    try:
        return private_key.exchange(peer_public_key)
    except ValueError:
        raise InvalidKey("X25519 peer key has low order") from None
