"""SM2: known-answer vectors, round trips, encodings and rejection of bad input."""

import pytest

from layers.crypto import sm2
from layers.crypto.errors import (
    CryptoError,
    DecryptionFailed,
    InvalidInput,
    InvalidKey,
    InvalidSignature,
)
from layers.crypto.sm2_curve import GX, GY, N, P

# GB/T 32918 / GM/T 0003.5 example over the recommended curve: private key,
# message "message digest", ID 1234567812345678 and the fixed nonce k. The
# public key and (r, s) are also checked against OpenSSL in the interop tests.
D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
PUB_X = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
PUB_Y = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
MSG = b"message digest"
K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"
R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
SIG = bytes.fromhex(R + S)


@pytest.fixture(scope="module")
def key():
    return sm2.SM2PrivateKey.from_bytes(D)


def test_public_key_derivation_matches_vector(key):
    assert key.public_key.to_bytes() == bytes.fromhex("04" + PUB_X + PUB_Y)
    assert sm2.public_key_from_private(D) == bytes.fromhex("04" + PUB_X + PUB_Y)


def test_z_and_digest_match_vector(key):
    assert key.public_key.message_digest(MSG).hex().upper() == E


def test_signature_with_fixed_nonce_matches_vector(key):
    e = sm2._digest_int(bytes.fromhex(E))
    r, s = sm2._sign(key, e, sm2.mpz(K))
    assert (int(r), int(s)) == (int(R, 16), int(S, 16))


def test_vector_signature_verifies(key):
    sm2.verify(key.public_key, SIG, MSG)
    sm2.verify(bytes.fromhex(PUB_X + PUB_Y), SIG, MSG)
    sm2.verify_digest(key.public_key, SIG, bytes.fromhex(E))


@pytest.mark.parametrize("der", [False, True])
def test_sign_verify_round_trip(der):
    key = sm2.SM2PrivateKey.generate()
    for message in (b"", b"x", bytes(range(256)) * 5):
        sig = key.sign(message, der=der)
        key.public_key.verify(sig, message, der=der)
        with pytest.raises(InvalidSignature):
            key.public_key.verify(sig, message + b"!", der=der)


def test_signatures_are_randomised(key):
    assert key.sign(MSG) != key.sign(MSG)


def test_custom_uid_binds_signature(key):
    sig = key.sign(MSG, uid=b"ALICE123@YAHOO.COM")
    key.public_key.verify(sig, MSG, uid="ALICE123@YAHOO.COM")
    with pytest.raises(InvalidSignature):
        key.public_key.verify(sig, MSG)


def test_sign_digest_and_verify_digest(key):
    digest = key.public_key.message_digest(b"payload")
    sig = sm2.sign_digest(key, digest)
    sm2.verify(key.public_key, sig, b"payload")
    sm2.verify_digest(key.public_key, sig, digest)
    with pytest.raises(InvalidInput):
        sm2.sign_digest(key, digest[:31])


def test_module_functions_accept_raw_bytes():
    priv, pub = sm2.generate_keypair()
    assert len(priv) == 32 and len(pub) == 65 and pub[0] == 4
    sig = sm2.sign(priv, b"m")
    sm2.verify(pub, sig, b"m")
    sm2.verify(pub[1:], sig, b"m")
    assert sm2.decrypt(priv, sm2.encrypt(pub, b"hello")) == b"hello"


@pytest.mark.parametrize("flip", [0, 31, 32, 63])
def test_tampered_signature_rejected(key, flip):
    sig = bytearray(key.sign(MSG))
    sig[flip] ^= 0x01
    with pytest.raises(InvalidSignature):
        key.public_key.verify(bytes(sig), MSG)


@pytest.mark.parametrize("r,s", [
    (0, 1), (1, 0), (N, 1), (1, N), (int(N) - 1, 1),  # last: r + s = n, so t = 0
])
def test_out_of_range_signature_values_rejected(key, r, s):
    sig = int(r).to_bytes(32, "big") + int(s).to_bytes(32, "big")
    with pytest.raises(InvalidSignature):
        key.public_key.verify(sig, MSG)


def test_signature_length_checked(key):
    with pytest.raises(InvalidSignature):
        key.public_key.verify(SIG[:63], MSG)
    with pytest.raises(InvalidSignature):
        key.public_key.verify(b"\x30\x00", MSG, der=True)


def test_signature_der_conversion():
    der = sm2.signature_to_der(SIG)
    assert der[0] == 0x30 and sm2.signature_from_der(der) == SIG
    # r and s both have the top bit set: each INTEGER gets a leading zero byte.
    assert der[2:5] == b"\x02\x21\x00"
    small = (1).to_bytes(32, "big") + (0x80).to_bytes(32, "big")
    assert sm2.signature_to_der(small) == bytes.fromhex("3007020101020200 80".replace(" ", ""))
    assert sm2.signature_from_der(sm2.signature_to_der(small)) == small


@pytest.mark.parametrize("der", [
    "3006020101020101ff",               # trailing byte
    "300702020001020101",               # non-minimal INTEGER
    "3006020181020101",                 # negative INTEGER
    "3081060201010201 01".replace(" ", ""),  # non-minimal length
    "310602010102 0101".replace(" ", ""),  # SET, not SEQUENCE
])
def test_malformed_der_signature_rejected(der):
    with pytest.raises(InvalidSignature):
        sm2.signature_from_der(bytes.fromhex(der))


# -- keys --

def test_private_key_range_and_size():
    for bad in (0, int(N) - 1, int(N), 2**256 - 1):
        with pytest.raises(InvalidKey):
            sm2.SM2PrivateKey.from_bytes(bad.to_bytes(32, "big"))
    for data in (b"", D[:31], D + b"\x00"):
        with pytest.raises(InvalidKey):
            sm2.SM2PrivateKey.from_bytes(data)
    assert sm2.SM2PrivateKey.from_bytes((int(N) - 2).to_bytes(32, "big"))


def test_off_curve_public_key_rejected():
    good = bytes.fromhex(PUB_X + PUB_Y)
    bad = good[:-1] + bytes([good[-1] ^ 1])
    with pytest.raises(InvalidKey):
        sm2.SM2PublicKey.from_bytes(bad)
    with pytest.raises(InvalidKey):
        sm2.verify(bad, SIG, MSG)
    with pytest.raises(InvalidKey):
        sm2.encrypt(b"\x04" + bad, b"m")
    with pytest.raises(InvalidKey):
        sm2.SM2PublicKey.from_bytes(bytes(64))  # (0, 0) is not on the curve
    with pytest.raises(InvalidKey):
        sm2.SM2PublicKey(int(P) + int(GX), int(GY))  # coordinate not reduced


def test_public_key_sizes():
    key = sm2.SM2PublicKey.from_bytes(bytes.fromhex(PUB_X + PUB_Y))
    assert sm2.SM2PublicKey.from_bytes(key.to_bytes()) == key
    compressed = key.to_bytes(compressed=True)
    assert len(compressed) == 33 and sm2.SM2PublicKey.from_bytes(compressed) == key
    flipped = bytes([compressed[0] ^ 1]) + compressed[1:]
    assert sm2.SM2PublicKey.from_bytes(flipped).y == P - key.y
    for data in (b"", key.to_bytes()[:64], b"\x05" + key.raw, key.raw + b"\x00"):
        with pytest.raises(InvalidKey):
            sm2.SM2PublicKey.from_bytes(data)
    # An x for which x^3 + ax + b is a non-residue (Euler's criterion) has no point.
    p = int(P)
    a, b = p - 3, 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
    x = next(x for x in range(1, 100) if pow((x**3 + a * x + b) % p, (p - 1) // 2, p) == p - 1)
    with pytest.raises(InvalidKey):
        sm2.SM2PublicKey.from_bytes(b"\x02" + x.to_bytes(32, "big"))


def test_pem_der_round_trip(key):
    assert sm2.SM2PrivateKey.from_pem(key.to_pem()).to_bytes() == D
    assert sm2.SM2PrivateKey.from_der(key.to_der()).public_key == key.public_key
    assert sm2.SM2PublicKey.from_pem(key.public_key.to_pem()) == key.public_key
    assert key.to_pem().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert key.public_key.to_pem().startswith(b"-----BEGIN PUBLIC KEY-----\n")


def test_malformed_key_encodings_rejected(key):
    der = key.to_der()
    with pytest.raises(InvalidKey):
        sm2.SM2PrivateKey.from_der(der[:-1])
    with pytest.raises(InvalidKey):
        sm2.SM2PrivateKey.from_der(der + b"\x00")
    with pytest.raises(InvalidKey):
        sm2.SM2PublicKey.from_pem(key.to_pem())  # wrong PEM label
    with pytest.raises(InvalidKey):
        sm2.SM2PrivateKey.from_pem(b"no pem here")
    # P-256 SubjectPublicKeyInfo: right structure, wrong curve.
    p256 = bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107")
    with pytest.raises(InvalidKey):
        sm2.SM2PublicKey.from_der(b"\x30\x59" + p256 + b"\x03\x42\x00" + key.public_key.to_bytes())


def test_embedded_public_key_must_match(key):
    other = sm2.SM2PrivateKey.generate()
    der = key.to_der().replace(key.public_key.to_bytes(), other.public_key.to_bytes())
    with pytest.raises(InvalidKey):
        sm2.SM2PrivateKey.from_der(der)


def test_private_key_repr_hides_secret(key):
    text = repr(key) + str(key)
    assert D.hex() not in text.lower()


# -- encryption --

@pytest.mark.parametrize("size", [1, 31, 32, 33, 100, 1000])
def test_encrypt_decrypt_round_trip(key, size):
    message = bytes(i % 251 for i in range(size))
    ct = key.public_key.encrypt(message)
    assert len(ct) == 65 + 32 + size and ct[0] == 4
    assert key.decrypt(ct) == message


def test_empty_plaintext_refused(key):
    with pytest.raises(InvalidInput):
        key.public_key.encrypt(b"")


@pytest.mark.parametrize("where", [1, 64, 65, 96, 97, -1])
def test_tampered_ciphertext_rejected(key, where):
    ct = bytearray(key.public_key.encrypt(b"attack at dawn"))
    ct[where] ^= 0x01
    with pytest.raises(DecryptionFailed):
        key.decrypt(bytes(ct))


def test_malformed_ciphertext_rejected(key):
    ct = key.public_key.encrypt(b"attack at dawn")
    with pytest.raises(DecryptionFailed):
        key.decrypt(ct[:97])
    with pytest.raises(DecryptionFailed):
        key.decrypt(b"\x02" + ct[1:])
    # C1 replaced by a point that is not on the curve.
    with pytest.raises(DecryptionFailed):
        key.decrypt(b"\x04" + bytes(64) + ct[65:])


def test_wrong_key_cannot_decrypt(key):
    ct = key.public_key.encrypt(b"attack at dawn")
    with pytest.raises(DecryptionFailed):
        sm2.SM2PrivateKey.generate().decrypt(ct)


def test_ciphertext_layout_conversions(key):
    message = b"layout"
    ct = key.public_key.encrypt(message)
    der = sm2.ciphertext_to_der(ct)
    assert sm2.ciphertext_from_der(der) == ct
    c1c2c3 = sm2.c1c3c2_to_c1c2c3(ct)
    assert c1c2c3[:65] == ct[:65] and c1c2c3[-32:] == ct[65:97]
    assert sm2.c1c2c3_to_c1c3c2(c1c2c3) == ct
    with pytest.raises(DecryptionFailed):
        sm2.ciphertext_from_der(der[:-1])


def test_errors_share_base_class():
    for exc in (InvalidKey, InvalidSignature, DecryptionFailed, InvalidInput):
        assert issubclass(exc, CryptoError)
