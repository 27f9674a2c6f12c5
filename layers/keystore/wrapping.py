"""AES-256-GCM key wrapping with associated data: nonce (12) || ciphertext || tag (16).

The associated data is built by `binding(...)` from labelled parts, so that what a wrapped value
is bound to (account, domain, generation, key id, version, purpose) cannot be shifted from one
field to another.
"""
from layers.crypto import CryptoError, random_bytes, symmetric
from layers.keystore.errors import UnwrapFailed

NONCE, TAG = 12, 16
OVERHEAD = NONCE + TAG


def binding(label: str, *parts: str) -> bytes:
    """Unambiguous associated data: the label, then each part length-prefixed."""
    out = bytearray(label.encode())
    for part in parts:
        raw = part.encode()
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def wrap(kek: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = random_bytes(NONCE)
    ciphertext, tag = symmetric.gcm_encrypt("AES256", kek, nonce, plaintext, aad=aad)
    return nonce + ciphertext + tag


def unwrap(kek: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < OVERHEAD:
        raise UnwrapFailed("wrapped value is too short")
    try:
        return symmetric.gcm_decrypt("AES256", kek, blob[:NONCE], blob[NONCE:-TAG], blob[-TAG:], aad=aad)
    except CryptoError:
        raise UnwrapFailed("wrapped value does not open with this key and binding") from None
