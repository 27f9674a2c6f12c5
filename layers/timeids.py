"""Time-ordered identifiers (UUID version 7, RFC 9562): RequestIds and audit EventIds carry the
millisecond they were minted in their first 48 bits, so CloudAudit can go straight to the day
that holds a request's event instead of reading every day of the range. They are ordinary
UUIDs to every client (the SDKs treat a RequestId as an opaque string).
"""
import secrets
import time
import uuid
from typing import Optional

_VERSION = 7


def uuid7(ms: Optional[int] = None) -> uuid.UUID:
    ms = int(time.time() * 1000) if ms is None else ms
    rand = secrets.randbits(74)
    value = (ms & ((1 << 48) - 1)) << 80 | _VERSION << 76 | (rand >> 62) << 64 | 0b10 << 62 | (rand & ((1 << 62) - 1))
    return uuid.UUID(int=value)


def minted_ms(identifier: str) -> Optional[int]:
    """The millisecond a version-7 id (hyphenated or 32 hex digits) was minted; None for any other
    string (older ids, other UUID versions, anything else)."""
    try:
        u = uuid.UUID(identifier.strip())
    except (ValueError, AttributeError):
        return None
    if u.version != _VERSION or u.variant != uuid.RFC_4122:
        return None
    return u.int >> 80
