"""Message authentication codes: HMAC over any supported digest, CMAC over AES or SM4.

    hmac(algorithm, key, data) -> tag
    hmac_verify(algorithm, key, data, tag) -> None, raises InvalidSignature
    cmac(algorithm, key, data) -> 16-byte tag        algorithm: "AES" or "SM4"
    cmac_verify(algorithm, key, data, tag) -> None, raises InvalidSignature

Verification compares in constant time and accepts only full-length tags.
"""

from __future__ import annotations

import hmac as _hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _chmac
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC

from .digest import normalise
from .errors import InvalidKey, InvalidSignature, UnsupportedAlgorithm

_HASHLIB_NAMES = {"SHA1": "sha1", "SHA224": "sha224", "SHA256": "sha256",
                  "SHA384": "sha384", "SHA512": "sha512"}


def hmac(algorithm: str, key: bytes, data: bytes) -> bytes:
    name = normalise(algorithm)
    if name == "SM3":
        h = _chmac.HMAC(bytes(key), hashes.SM3())
        h.update(data)
        return h.finalize()
    return _hmac.digest(bytes(key), data, _HASHLIB_NAMES[name])


def hmac_verify(algorithm: str, key: bytes, data: bytes, tag: bytes) -> None:
    if not _hmac.compare_digest(hmac(algorithm, key, data), bytes(tag)):
        raise InvalidSignature("HMAC does not verify")


def _cmac_cipher(algorithm: str, key: bytes):
    name = algorithm.upper().replace("-", "")
    key = bytes(key)
    if name == "SM4":
        if len(key) != 16:
            raise InvalidKey(f"SM4 key must be 16 bytes, got {len(key)}")
        return algorithms.SM4(key)
    if name in ("AES", "AES128", "AES192", "AES256"):
        sizes = {"AES": (16, 24, 32), "AES128": (16,), "AES192": (24,), "AES256": (32,)}[name]
        if len(key) not in sizes:
            raise InvalidKey(f"{algorithm} key must be {' or '.join(map(str, sizes))} bytes")
        return algorithms.AES(key)
    raise UnsupportedAlgorithm(f"CMAC is offered for AES and SM4, not {algorithm!r}")


def cmac(algorithm: str, key: bytes, data: bytes) -> bytes:
    c = CMAC(_cmac_cipher(algorithm, key))
    c.update(data)
    return c.finalize()


def cmac_verify(algorithm: str, key: bytes, data: bytes, tag: bytes) -> None:
    if not _hmac.compare_digest(cmac(algorithm, key, data), bytes(tag)):
        raise InvalidSignature("CMAC does not verify")


__all__ = ["hmac", "hmac_verify", "cmac", "cmac_verify"]
