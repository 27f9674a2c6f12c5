"""Message digests: SM3, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512.

    digest(algorithm, data) -> bytes
    new(algorithm) -> incremental context with update(data) and finalize() -> bytes

SHA-2 and SHA-1 run on hashlib (OpenSSL, lowest call overhead); SM3 runs on
`cryptography`, since hashlib offers SM3 only when the system OpenSSL does.
"""

from __future__ import annotations

import hashlib

from . import sm3 as _sm3
from .errors import UnsupportedAlgorithm

_HASHLIB = {
    "SHA1": hashlib.sha1,
    "SHA224": hashlib.sha224,
    "SHA256": hashlib.sha256,
    "SHA384": hashlib.sha384,
    "SHA512": hashlib.sha512,
}
DIGEST_SIZES = {"SM3": 32, "SHA1": 20, "SHA224": 28, "SHA256": 32, "SHA384": 48, "SHA512": 64}
ALGORITHMS = tuple(DIGEST_SIZES)


def normalise(algorithm: str) -> str:
    """Canonical name: "sha-256" / "SHA_256" / "sha256" -> "SHA256"."""
    name = algorithm.upper().replace("-", "").replace("_", "")
    if name not in DIGEST_SIZES:
        raise UnsupportedAlgorithm(f"unsupported digest {algorithm!r}")
    return name


def digest(algorithm: str, data: bytes) -> bytes:
    name = normalise(algorithm)
    if name == "SM3":
        return _sm3.sm3(data)
    return _HASHLIB[name](data).digest()


class _Context:
    __slots__ = ("_h", "_sm3")

    def __init__(self, name: str):
        self._sm3 = name == "SM3"
        self._h = _sm3.new() if self._sm3 else _HASHLIB[name]()

    def update(self, data: bytes) -> None:
        self._h.update(data)

    def finalize(self) -> bytes:
        return self._h.finalize() if self._sm3 else self._h.digest()


def new(algorithm: str) -> _Context:
    return _Context(normalise(algorithm))
