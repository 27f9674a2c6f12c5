"""The small subset of DER and PEM the SM2 encodings need.

Encoders build SEQUENCE / INTEGER / OCTET STRING / BIT STRING / OBJECT
IDENTIFIER / context-tagged values; the Reader parses them strictly
(definite, minimal lengths; minimal non-negative INTEGERs) and raises
InvalidInput on anything else.
"""

from __future__ import annotations

import base64
import binascii
import re

from .errors import InvalidInput

SEQUENCE = 0x30
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
OBJECT_IDENTIFIER = 0x06


def context(number: int, constructed: bool = True) -> int:
    """Tag byte of a context-specific [number] field."""
    return 0x80 | (0x20 if constructed else 0) | number


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def sequence(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def integer(value: int) -> bytes:
    if value < 0:
        raise ValueError("only non-negative INTEGERs are encoded")
    # One extra byte keeps the sign bit clear (and encodes zero as 0x00).
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return tlv(INTEGER, raw)


def octet_string(data: bytes) -> bytes:
    return tlv(OCTET_STRING, data)


def bit_string(data: bytes) -> bytes:
    return tlv(BIT_STRING, b"\x00" + data)


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OBJECT_IDENTIFIER, bytes(body))


class Reader:
    """Sequential strict reader over DER content."""

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos == len(self.data)

    def peek_tag(self) -> int | None:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def read(self, tag: int) -> bytes:
        """Content of the next element, which must carry `tag`."""
        data = self.data
        if self.pos + 2 > len(data) or data[self.pos] != tag:
            raise InvalidInput("unexpected DER structure")
        first = data[self.pos + 1]
        pos = self.pos + 2
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if count == 0 or count > 4 or pos + count > len(data):
                raise InvalidInput("unsupported DER length")
            length = int.from_bytes(data[pos:pos + count], "big")
            if length < 0x80 or data[pos] == 0:
                raise InvalidInput("non-minimal DER length")
            pos += count
        if pos + length > len(data):
            raise InvalidInput("truncated DER element")
        self.pos = pos + length
        return data[pos:pos + length]

    def read_integer(self) -> int:
        raw = self.read(INTEGER)
        if not raw:
            raise InvalidInput("empty DER INTEGER")
        if raw[0] & 0x80:
            raise InvalidInput("negative DER INTEGER")
        if len(raw) > 1 and raw[0] == 0 and not raw[1] & 0x80:
            raise InvalidInput("non-minimal DER INTEGER")
        return int.from_bytes(raw, "big")

    def read_bit_string(self) -> bytes:
        raw = self.read(BIT_STRING)
        if not raw or raw[0] != 0:
            raise InvalidInput("BIT STRING with unused bits")
        return raw[1:]

    def read_sequence(self) -> "Reader":
        return Reader(self.read(SEQUENCE))

    def expect_end(self) -> None:
        if not self.at_end():
            raise InvalidInput("trailing data after DER element")


_PEM = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL
)


def pem_encode(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return (
        b"-----BEGIN " + label.encode() + b"-----\n"
        + b"\n".join(lines)
        + b"\n-----END " + label.encode() + b"-----\n"
    )


def pem_decode(data: bytes | str) -> tuple[str, bytes]:
    """(label, DER) of the first PEM block in data."""
    if isinstance(data, str):
        data = data.encode()
    match = _PEM.search(data)
    if not match:
        raise InvalidInput("no PEM block found")
    body = re.sub(rb"\s+", b"", match.group(2))
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("malformed PEM body") from None
    return match.group(1).decode(), der
