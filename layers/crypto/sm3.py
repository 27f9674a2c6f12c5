"""SM3 (GB/T 32905) through `cryptography` (OpenSSL), plus the GB/T 32918 KDF."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes

DIGEST_SIZE = 32
_SM3 = hashes.SM3()


def sm3(data: bytes) -> bytes:
    """SM3 digest of data."""
    h = hashes.Hash(_SM3)
    h.update(data)
    return h.finalize()


def sm3_concat(*parts: bytes) -> bytes:
    """SM3 of the concatenation of parts, without building the concatenation."""
    h = hashes.Hash(_SM3)
    for part in parts:
        h.update(part)
    return h.finalize()


def new() -> hashes.Hash:
    """An incremental SM3 context (update / finalize / copy)."""
    return hashes.Hash(_SM3)


def kdf(z: bytes, length: int) -> bytes:
    """GB/T 32918.4 key derivation: SM3(z || ct) for ct = 1, 2, ... (32-bit big-endian)."""
    if length < 0:
        raise ValueError("length must be non-negative")
    base = hashes.Hash(_SM3)
    base.update(z)
    out = []
    for counter in range(1, (length + DIGEST_SIZE - 1) // DIGEST_SIZE + 1):
        h = base.copy()
        h.update(counter.to_bytes(4, "big"))
        out.append(h.finalize())
    return b"".join(out)[:length]
