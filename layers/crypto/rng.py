"""Random numbers from the operating system's CSPRNG (os.urandom / getrandom)."""

from __future__ import annotations

import os
import secrets

from .errors import InvalidInput

MAX_RANDOM_BYTES = 1 << 20


def random_bytes(n: int) -> bytes:
    """n bytes from the OS CSPRNG (0 <= n <= 1 MiB)."""
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_RANDOM_BYTES:
        raise InvalidInput(f"random length must be an integer in [0, {MAX_RANDOM_BYTES}]")
    return os.urandom(n)


def random_below(n: int) -> int:
    """Uniform integer in [0, n) for n >= 1."""
    if not isinstance(n, int) or n < 1:
        raise InvalidInput("upper bound must be a positive integer")
    return secrets.randbelow(n)
