"""RSA, ECDSA / ECDH and X25519 through the layer."""

import subprocess

import pytest

from layers.crypto import ecc, rsa_keys
from layers.crypto.errors import (
    DecryptionFailed,
    InvalidInput,
    InvalidKey,
    InvalidSignature,
    UnsupportedAlgorithm,
)

h = bytes.fromhex


@pytest.fixture(scope="module")
def rsa2048():
    return rsa_keys.generate_private_key(2048)


@pytest.mark.parametrize("padding,hash_name", [("OAEP", "SHA256"), ("OAEP", "SHA1"), ("PKCS1v15", "SHA256")])
def test_rsa_encrypt_decrypt(rsa2048, padding, hash_name):
    ct = rsa_keys.encrypt(rsa2048.public_key(), b"secret", padding, hash_name)
    assert len(ct) == 256
    assert rsa_keys.decrypt(rsa2048, ct, padding, hash_name) == b"secret"


def test_rsa_oaep_tamper_rejected(rsa2048):
    ct = bytearray(rsa_keys.encrypt(rsa2048, b"secret"))
    ct[100] ^= 1
    with pytest.raises(DecryptionFailed):
        rsa_keys.decrypt(rsa2048, bytes(ct))
    with pytest.raises(DecryptionFailed):
        rsa_keys.decrypt(rsa2048, bytes(ct[:-1]))


def test_rsa_pkcs1v15_decryption_uses_implicit_rejection(rsa2048):
    ct = bytearray(rsa_keys.encrypt(rsa2048, b"secret", "PKCS1v15"))
    ct[100] ^= 1
    # No exception (no padding oracle), and never the original plaintext.
    first = rsa_keys.decrypt(rsa2048, bytes(ct), "PKCS1v15")
    assert first != b"secret"
    assert rsa_keys.decrypt(rsa2048, bytes(ct), "PKCS1v15") == first


def test_rsa_plaintext_too_long(rsa2048):
    with pytest.raises(InvalidInput):
        rsa_keys.encrypt(rsa2048, bytes(300))


@pytest.mark.parametrize("padding", ["PSS", "PKCS1v15"])
@pytest.mark.parametrize("hash_name", ["SHA256", "SHA384", "SHA512"])
def test_rsa_sign_verify(rsa2048, padding, hash_name):
    sig = rsa_keys.sign(rsa2048, b"document", padding, hash_name)
    rsa_keys.verify(rsa2048.public_key(), sig, b"document", padding, hash_name)
    with pytest.raises(InvalidSignature):
        rsa_keys.verify(rsa2048, sig, b"documenT", padding, hash_name)
    bad = bytearray(sig)
    bad[0] ^= 1
    with pytest.raises(InvalidSignature):
        rsa_keys.verify(rsa2048, bytes(bad), b"document", padding, hash_name)


def test_rsa_prehashed(rsa2048):
    import hashlib

    d = hashlib.sha256(b"document").digest()
    sig = rsa_keys.sign(rsa2048, d, "PKCS1v15", prehashed=True)
    rsa_keys.verify(rsa2048, sig, b"document", "PKCS1v15")
    with pytest.raises(InvalidInput):
        rsa_keys.sign(rsa2048, d[:-1], prehashed=True)


def test_rsa_signature_verifies_with_openssl(rsa2048, tmp_path):
    pub = tmp_path / "pub.pem"
    pub.write_bytes(rsa_keys.public_key_to_pem(rsa2048))
    msg = tmp_path / "m"
    msg.write_bytes(b"document")
    sig = tmp_path / "sig"
    sig.write_bytes(rsa_keys.sign(rsa2048, b"document", "PSS"))
    out = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(pub), "-sigopt", "rsa_padding_mode:pss",
                          "-signature", str(sig), str(msg)], capture_output=True, timeout=30)
    assert out.returncode == 0 and b"Verified OK" in out.stdout, out.stderr


def test_rsa_serialisation(rsa2048):
    for data in (rsa_keys.private_key_to_pem(rsa2048), rsa_keys.private_key_to_der(rsa2048)):
        assert rsa_keys.load_private_key(data).private_numbers() == rsa2048.private_numbers()
    for data in (rsa_keys.public_key_to_pem(rsa2048), rsa_keys.public_key_to_der(rsa2048)):
        assert rsa_keys.load_public_key(data).public_numbers() == rsa2048.public_key().public_numbers()
    with pytest.raises(InvalidKey):
        rsa_keys.load_private_key(b"garbage")
    with pytest.raises(InvalidKey):
        rsa_keys.load_public_key(rsa_keys.public_key_to_der(rsa2048)[:-3])


def test_rsa_key_sizes():
    key = rsa_keys.generate_private_key(1024)
    assert key.key_size == 1024
    for bits in (512, 1000, 8192):
        with pytest.raises(InvalidKey):
            rsa_keys.generate_private_key(bits)
    with pytest.raises(UnsupportedAlgorithm):
        rsa_keys.encrypt(key, b"x", "NONE")


def test_rsa_4096():
    key = rsa_keys.generate_private_key(4096)
    assert rsa_keys.decrypt(key, rsa_keys.encrypt(key, b"big")) == b"big"
    rsa_keys.verify(key, rsa_keys.sign(key, b"big"), b"big")


# -- ECC --

@pytest.mark.parametrize("curve", ecc.CURVES)
@pytest.mark.parametrize("der", [True, False])
def test_ecdsa_round_trip(curve, der):
    key = ecc.generate_private_key(curve)
    sig = ecc.ecdsa_sign(key, b"payload", der=der)
    ecc.ecdsa_verify(key.public_key(), sig, b"payload", der=der)
    with pytest.raises(InvalidSignature):
        ecc.ecdsa_verify(key, sig, b"payloaD", der=der)
    bad = bytearray(sig)
    bad[-1] ^= 1
    with pytest.raises(InvalidSignature):
        ecc.ecdsa_verify(key, bytes(bad), b"payload", der=der)


def test_ecdsa_rfc6979_p256_vector_verifies():
    # RFC 6979 A.2.5, P-256 / SHA-256 / "sample".
    priv = ecc.private_key_from_bytes(
        "P-256", h("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"))
    pub_bytes = h("04" "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
                  "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299")
    assert ecc.public_key_to_bytes(priv) == pub_bytes
    sig = h("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
            "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8")
    pub = ecc.public_key_from_bytes("P-256", pub_bytes)
    ecc.ecdsa_verify(pub, sig, b"sample", der=False)
    with pytest.raises(InvalidSignature):
        ecc.ecdsa_verify(pub, sig, b"test", der=False)


def test_ecc_point_and_scalar_validation():
    key = ecc.generate_private_key("P-256")
    point = bytearray(ecc.public_key_to_bytes(key))
    point[-1] ^= 1
    with pytest.raises(InvalidKey):
        ecc.public_key_from_bytes("P-256", bytes(point))
    with pytest.raises(InvalidKey):
        ecc.private_key_from_bytes("P-256", bytes(31))
    with pytest.raises(InvalidKey):
        ecc.private_key_from_bytes("P-256", bytes(32))  # zero scalar
    with pytest.raises(UnsupportedAlgorithm):
        ecc.generate_private_key("P-521")
    compressed = ecc.public_key_to_bytes(key, compressed=True)
    assert len(compressed) == 33
    assert ecc.public_key_to_bytes(ecc.public_key_from_bytes("P-256", compressed)) == \
        ecc.public_key_to_bytes(key)
    assert ecc.private_key_to_bytes(ecc.private_key_from_bytes("P-256", ecc.private_key_to_bytes(key))) == \
        ecc.private_key_to_bytes(key)


@pytest.mark.parametrize("curve", ["P-256", "P-384"])
def test_ecdh_agreement(curve):
    a, b = ecc.generate_private_key(curve), ecc.generate_private_key(curve)
    assert ecc.ecdh(a, b.public_key()) == ecc.ecdh(b, a.public_key())
    with pytest.raises(InvalidKey):
        ecc.ecdh(a, ecc.generate_private_key("P-384" if curve == "P-256" else "P-256").public_key())


def test_x25519_rfc7748():
    alice = ecc.x25519_private_key_from_bytes(
        h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    bob = ecc.x25519_private_key_from_bytes(
        h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
    assert ecc.x25519_public_bytes(alice).hex() == \
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    assert ecc.x25519_public_bytes(bob).hex() == \
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
    shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    assert ecc.x25519_exchange(alice, ecc.x25519_public_bytes(bob)).hex() == shared
    assert ecc.x25519_exchange(bob, ecc.x25519_public_key_from_bytes(ecc.x25519_public_bytes(alice))).hex() == shared


def test_x25519_rejects_low_order_and_bad_sizes():
    key = ecc.x25519_generate()
    with pytest.raises(InvalidKey):
        ecc.x25519_exchange(key, bytes(32))
    with pytest.raises(InvalidKey):
        ecc.x25519_public_key_from_bytes(bytes(31))
    with pytest.raises(InvalidKey):
        ecc.x25519_private_key_from_bytes(bytes(33))
