"""seal / open: envelope encryption on the account's own domain, for the bastion's hosted secrets."""
import base64

import pytest

from keystore_helpers import owner
from layers import keystore
from layers.keystore.errors import DomainDestroyed, SealedDataInvalid

PURPOSE = "bastion/account-password"
CONTEXT = {"AccountId": "acc-1", "DeviceId": "dev-9"}


def test_seal_and_open(stack):
    account = owner()
    for secret in (b"hunter2", b"", bytes(range(256)) * 40):
        sealed = keystore.seal(account, PURPOSE, secret, CONTEXT)
        assert isinstance(sealed, str) and sealed.startswith("gzs1.")
        assert keystore.open(account, PURPOSE, sealed, dict(reversed(list(CONTEXT.items())))) == secret
    a, b = keystore.seal(account, PURPOSE, b"same", CONTEXT), keystore.seal(account, PURPOSE, b"same", CONTEXT)
    assert a != b and b"same" not in base64.urlsafe_b64decode(a[5:] + "==")


def test_opens_only_for_its_account_purpose_and_context(stack):
    account = owner()
    sealed = keystore.seal(account, PURPOSE, b"pa55word", CONTEXT)
    keystore.seal(owner(), PURPOSE, b"x", CONTEXT)
    for who, purpose, context in ((owner(), PURPOSE, CONTEXT), (account, "bastion/private-key", CONTEXT),
                                  (account, PURPOSE, {**CONTEXT, "DeviceId": "dev-10"}), (account, PURPOSE, {})):
        with pytest.raises(SealedDataInvalid):
            keystore.open(who, purpose, sealed, context)


def test_any_change_is_detected(stack):
    account = owner()
    sealed = keystore.seal(account, PURPOSE, b"do not touch", CONTEXT)
    raw = bytearray(base64.urlsafe_b64decode(sealed[5:] + "=" * (-len(sealed[5:]) % 4)))
    for position in range(0, len(raw), 7):              # generation, wrapped data key, nonce, ciphertext, tag
        changed = bytearray(raw)
        changed[position] ^= 0x80
        text = "gzs1." + base64.urlsafe_b64encode(bytes(changed)).decode().rstrip("=")
        with pytest.raises(SealedDataInvalid):
            keystore.open(account, PURPOSE, text, CONTEXT)
    for bad in ("", "gzs1.", "gzs1.!!!", "gzs2." + sealed[5:], sealed[:-8], 12):
        with pytest.raises(SealedDataInvalid):
            keystore.open(account, PURPOSE, bad, CONTEXT)


def test_destroying_the_account_domain_shreds_every_sealed_value(stack):
    account = owner()
    sealed = keystore.seal(account, PURPOSE, b"old secret", CONTEXT)
    keystore.destroy_domain(account, keystore.ACCOUNT_DOMAIN)
    with pytest.raises(DomainDestroyed):
        keystore.open(account, PURPOSE, sealed, CONTEXT)
    with pytest.raises(DomainDestroyed):
        keystore.seal(account, PURPOSE, b"new", CONTEXT)        # not silently revived
    keystore.create_domain(account, keystore.ACCOUNT_DOMAIN)
    fresh = keystore.seal(account, PURPOSE, b"new secret", CONTEXT)
    assert keystore.open(account, PURPOSE, fresh, CONTEXT) == b"new secret"
    with pytest.raises(DomainDestroyed):
        keystore.open(account, PURPOSE, sealed, CONTEXT)


def test_bad_arguments(stack):
    with pytest.raises(ValueError):
        keystore.seal("", PURPOSE, b"x", CONTEXT)
    with pytest.raises(TypeError):
        keystore.seal(owner(), PURPOSE, b"x", {1: "not a string key"})
