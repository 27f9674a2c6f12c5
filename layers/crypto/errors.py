"""Exceptions raised by the crypto layer.

Every error derives from CryptoError so callers can map the whole family to an
API error in one place. Messages describe what was wrong with an input (its
length, its format) and never carry key material, plaintext or secrets.
"""


class CryptoError(Exception):
    """Base class of every crypto-layer error."""


class UnsupportedAlgorithm(CryptoError, ValueError):
    """The algorithm, mode, curve, padding or hash is not offered."""


class InvalidKey(CryptoError, ValueError):
    """A key has the wrong size, a malformed encoding, or is not a valid point or scalar."""


class InvalidInput(CryptoError, ValueError):
    """A non-key argument is malformed: IV or nonce length, block alignment, encoding."""


class InvalidSignature(CryptoError):
    """A signature (or MAC) does not verify."""


class DecryptionFailed(CryptoError):
    """A ciphertext was rejected: bad padding, failed integrity check, wrong key."""


class InvalidTag(DecryptionFailed):
    """An authenticated-encryption tag does not match."""
