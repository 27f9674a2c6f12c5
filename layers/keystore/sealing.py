"""Sealed values (envelope encryption) on an account's own domain, for secrets other services keep:
the bastion's hosted passwords and private keys.

    sealed = "gzs1." + base64url( generation (4) || wrapped data key (60) || nonce (12) || ciphertext || tag (16) )

Each value gets a fresh 256-bit data key; the value is encrypted with it (AES-256-GCM) and the data
key is wrapped by the account domain's master key. Both are bound to the account, the purpose and
the context, so a sealed value opens only where it was sealed for.
"""
import base64
import binascii
import json

from layers.crypto import random_bytes
from layers.keystore import domains, wrapping
from layers.keystore.errors import DomainDestroyed, DomainNotFound, SealedDataInvalid, UnwrapFailed

ACCOUNT_DOMAIN = "account"
PREFIX = "gzs1."
_DEK = 32
_WRAPPED_DEK = _DEK + wrapping.OVERHEAD


def _context(context: dict) -> str:
    if not isinstance(context, dict) or not all(isinstance(k, str) for k in context):
        raise TypeError("context must be a dict with string keys")
    return json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _bindings(account: str, purpose: str, context: dict, generation: int):
    parts = (account, purpose, _context(context), str(generation))
    return wrapping.binding("guardzone-seal-key-v1", *parts), wrapping.binding("guardzone-seal-data-v1", *parts)


def seal(account: str, purpose: str, plaintext: bytes, context: dict) -> str:
    if not account or not purpose:
        raise ValueError("account and purpose are required")
    domain = domains.ensure(account, ACCOUNT_DOMAIN)
    key_aad, data_aad = _bindings(account, purpose, context, domain.generation)
    dek = random_bytes(_DEK)
    wrapped_dek = wrapping.wrap(domains.master_key(domain), dek, key_aad)
    body = wrapping.wrap(dek, bytes(plaintext), data_aad)
    raw = domain.generation.to_bytes(4, "big") + wrapped_dek + body
    return PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def open_sealed(account: str, purpose: str, sealed: str, context: dict) -> bytes:
    if not isinstance(sealed, str) or not sealed.startswith(PREFIX):
        raise SealedDataInvalid("not a sealed value")
    text = sealed[len(PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SealedDataInvalid("sealed value is not base64url") from None
    if len(raw) < 4 + _WRAPPED_DEK + wrapping.OVERHEAD:
        raise SealedDataInvalid("sealed value is too short")
    generation = int.from_bytes(raw[:4], "big")
    try:
        domain = domains.get(account, ACCOUNT_DOMAIN)
    except DomainNotFound:
        raise SealedDataInvalid("the account has no sealing domain") from None
    if 0 < generation < domain.generation:
        raise DomainDestroyed("the value was sealed in a domain generation that was destroyed")
    if generation != domain.generation:
        raise SealedDataInvalid("sealed value names a domain generation that never existed")
    key_aad, data_aad = _bindings(account, purpose, context, generation)
    try:
        dek = wrapping.unwrap(domains.master_key(domain), raw[4:4 + _WRAPPED_DEK], key_aad)
        return wrapping.unwrap(dek, raw[4 + _WRAPPED_DEK:], data_aad)
    except UnwrapFailed:
        raise SealedDataInvalid("sealed value does not open for this account, purpose and context") from None
