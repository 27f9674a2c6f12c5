"""AES key wrap: RFC 3394 (KW, default IV A6A6A6A6A6A6A6A6) and RFC 5649 (KWP, with padding).

    wrap(key, data, *, pad=False) -> bytes
    unwrap(key, wrapped, *, pad=False) -> bytes
    check_data(data, *, pad=False) / check_wrapped(wrapped, *, pad=False): the length rules alone

key: a 16-, 24- or 32-byte AES key-encryption key. KW wraps 16 bytes or more, a multiple of 8; KWP
wraps 1 byte or more. A wrong length is InvalidInput; a wrapped value that does not check (its
integrity value) is DecryptionFailed. On `cryptography`'s keywrap module.
"""
from __future__ import annotations

from cryptography.hazmat.primitives import keywrap as _kw

from .errors import DecryptionFailed, InvalidInput, InvalidKey

KEK_SIZES = (16, 24, 32)


def _check_key(key: bytes) -> bytes:
    if len(key) not in KEK_SIZES:
        raise InvalidKey("an AES key-wrapping key must be 16, 24 or 32 bytes")
    return bytes(key)


def check_data(data: bytes, *, pad: bool = False) -> None:
    if pad and not data:
        raise InvalidInput("KWP wraps at least 1 byte")
    if not pad and (len(data) < 16 or len(data) % 8):
        raise InvalidInput("KW wraps 16 bytes or more, a multiple of 8")


def check_wrapped(wrapped: bytes, *, pad: bool = False) -> None:
    least = 16 if pad else 24
    if len(wrapped) < least or len(wrapped) % 8:
        raise InvalidInput(f"a wrapped key is {least} bytes or more, a multiple of 8")


def wrap(key: bytes, data: bytes, *, pad: bool = False) -> bytes:
    key, data = _check_key(key), bytes(data)
    check_data(data, pad=pad)
    return (_kw.aes_key_wrap_with_padding if pad else _kw.aes_key_wrap)(key, data)


def unwrap(key: bytes, wrapped: bytes, *, pad: bool = False) -> bytes:
    key, wrapped = _check_key(key), bytes(wrapped)
    check_wrapped(wrapped, pad=pad)
    try:
        return (_kw.aes_key_unwrap_with_padding if pad else _kw.aes_key_unwrap)(key, wrapped)
    except _kw.InvalidUnwrap:
        raise DecryptionFailed("the wrapped key does not unwrap under this key (integrity check failed)") from None
