"""An audit queue message: one event's JSON, or several events packed together.

A packed message is the events' JSON lines, gzip-compressed and base64-encoded: SQS charges per
message (and per 64 KiB of it), and moto spends its time per message and per byte, so a busy
gateway sends a few messages a second rather than one an event. Its text starts with `H4sI` (the
base64 of gzip's magic number), which no event, a JSON object, starts with.
"""
import base64
import binascii
import gzip
import zlib
from typing import List, Sequence

PACKED = "H4sI"
MAX_RAW_BYTES = 1024 * 1024         # the events of one packed message, before compression
MAX_UNPACKED_BYTES = 8 * 1024 * 1024


class BadMessage(ValueError):
    """A message that claims to be packed but cannot be read."""


def pack(bodies: Sequence[str]) -> str:
    """The message of these events' bodies (each one line of JSON)."""
    if len(bodies) == 1:
        return bodies[0]
    raw = "\n".join(bodies).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=1, mtime=0)).decode("ascii")


def lines_of(body: str) -> List[str]:
    """The events' lines of a message (each still to be parsed)."""
    if not body.startswith(PACKED):
        return body.split("\n")
    try:
        data = base64.b64decode(body, validate=True)
        inflate = zlib.decompressobj(wbits=31)
        raw = inflate.decompress(data, MAX_UNPACKED_BYTES)
        if not inflate.eof:
            raise BadMessage(f"a packed message expands past {MAX_UNPACKED_BYTES} bytes or is cut short")
        return raw.decode("utf-8").split("\n")
    except (binascii.Error, zlib.error, UnicodeDecodeError) as exc:
        raise BadMessage(f"a packed message that cannot be read ({type(exc).__name__})") from None
