"""SM2 interoperability with the OpenSSL command line and the gmssl package, both directions."""

import os
import subprocess

import pytest
from gmssl import sm2 as gmssl_sm2

from layers.crypto import sm2

DISTID = "1234567812345678"
VECTOR_KEY = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
VECTOR_SIG = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)

def openssl(*args, data=None):
    proc = subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=30)
    return proc


def write(path, data):
    path.write_bytes(data)
    return str(path)


# -- OpenSSL --

def test_openssl_derives_the_same_public_key_from_our_pem(tmp_path):
    key = sm2.SM2PrivateKey.from_bytes(VECTOR_KEY)
    pem = write(tmp_path / "k.pem", key.to_pem())
    out = openssl("pkey", "-in", pem, "-pubout", "-outform", "DER")
    assert out.returncode == 0, out.stderr
    assert sm2.SM2PublicKey.from_der(out.stdout) == key.public_key
    assert out.stdout == key.public_key.to_der()


def test_openssl_verifies_the_standard_vector(tmp_path):
    key = sm2.SM2PrivateKey.from_bytes(VECTOR_KEY)
    pub = write(tmp_path / "pub.pem", key.public_key.to_pem())
    msg = write(tmp_path / "m", b"message digest")
    sig = write(tmp_path / "sig", sm2.signature_to_der(VECTOR_SIG))
    out = openssl("dgst", "-sm3", "-verify", pub, "-sigopt", f"distid:{DISTID}", "-signature", sig, msg)
    assert out.returncode == 0 and b"Verified OK" in out.stdout, out.stderr


@pytest.mark.parametrize("uid", [DISTID, "ALICE123@YAHOO.COM"])
def test_our_signatures_verify_with_openssl(tmp_path, uid):
    key = sm2.SM2PrivateKey.generate()
    pub = write(tmp_path / "pub.pem", key.public_key.to_pem())
    for i, message in enumerate((b"hello", os.urandom(1000))):
        msg = write(tmp_path / f"m{i}", message)
        sig = write(tmp_path / f"s{i}", key.sign(message, uid=uid, der=True))
        out = openssl("dgst", "-sm3", "-verify", pub, "-sigopt", f"distid:{uid}", "-signature", sig, msg)
        assert out.returncode == 0 and b"Verified OK" in out.stdout, out.stderr
    # And a tampered one does not.
    bad = bytearray(key.sign(b"hello"))
    bad[10] ^= 1
    sig = write(tmp_path / "bad", sm2.signature_to_der(bytes(bad)))
    out = openssl("dgst", "-sm3", "-verify", pub, "-sigopt", f"distid:{uid}", "-signature", sig,
                  str(tmp_path / "m0"))
    assert out.returncode != 0


def test_openssl_signatures_verify_with_ours(tmp_path):
    keyfile = tmp_path / "k.pem"
    assert openssl("genpkey", "-algorithm", "SM2", "-out", str(keyfile)).returncode == 0
    key = sm2.SM2PrivateKey.from_pem(keyfile.read_bytes())  # PKCS#8 written by OpenSSL
    for i in range(3):
        message = os.urandom(50 + i)
        msg = write(tmp_path / f"m{i}", message)
        out = openssl("dgst", "-sm3", "-sign", str(keyfile), "-sigopt", f"distid:{DISTID}", msg)
        assert out.returncode == 0, out.stderr
        key.public_key.verify(out.stdout, message, der=True)
        sm2.verify(key.public_key, sm2.signature_from_der(out.stdout), message)


def test_sec1_key_from_openssl(tmp_path):
    keyfile = tmp_path / "k.pem"
    assert openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2",
                   "-out", str(keyfile)).returncode == 0
    sec1 = openssl("ec", "-in", str(keyfile))
    # SEC1 ECPrivateKey; OpenSSL 3 labels it "SM2 PRIVATE KEY" (older: "EC PRIVATE KEY").
    assert sec1.returncode == 0 and b" PRIVATE KEY-----" in sec1.stdout
    assert b"BEGIN PRIVATE KEY" not in sec1.stdout
    key = sm2.SM2PrivateKey.from_pem(sec1.stdout)
    pub = openssl("pkey", "-in", str(keyfile), "-pubout")
    assert sm2.SM2PublicKey.from_pem(pub.stdout) == key.public_key


def test_encryption_interop_with_openssl(tmp_path):
    key = sm2.SM2PrivateKey.generate()
    keyfile = write(tmp_path / "k.pem", key.to_pem())
    pub = write(tmp_path / "pub.pem", key.public_key.to_pem())
    message = b"interoperable plaintext " * 3
    # ours -> OpenSSL (which reads the GM/T 0009 DER form)
    ct = write(tmp_path / "ct.der", sm2.ciphertext_to_der(key.public_key.encrypt(message)))
    out = openssl("pkeyutl", "-decrypt", "-inkey", keyfile, "-in", ct)
    assert out.returncode == 0 and out.stdout == message, out.stderr
    # OpenSSL -> ours
    msg = write(tmp_path / "m", message)
    out = openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-in", msg)
    assert out.returncode == 0, out.stderr
    assert key.decrypt(sm2.ciphertext_from_der(out.stdout)) == message


# -- gmssl --

def _gmssl_key():
    """A key whose x||y hex does not start with "04": gmssl strips a leading "04" string."""
    while True:
        key = sm2.SM2PrivateKey.generate()
        pub_hex = key.public_key.raw.hex()
        if not pub_hex.startswith("04"):
            return key, gmssl_sm2.CryptSM2(private_key=key.to_bytes().hex(), public_key=pub_hex, mode=1)


def test_our_signatures_verify_with_gmssl():
    key, gm = _gmssl_key()
    for message in (b"abc", os.urandom(64)):
        sig = key.sign(message)
        assert gm.verify_with_sm3(sig.hex(), message)
    bad = bytearray(key.sign(b"abc"))
    bad[40] ^= 1
    assert not gm.verify_with_sm3(bytes(bad).hex(), b"abc")


def test_gmssl_signatures_verify_with_ours():
    key, gm = _gmssl_key()
    for message in (b"abc", os.urandom(64)):
        # gmssl's own nonce generator uses `random`; hand it one from the CSPRNG.
        nonce = os.urandom(32).hex()
        sig = bytes.fromhex(gm.sign_with_sm3(message, nonce))
        key.public_key.verify(sig, message)


def test_encryption_interop_with_gmssl():
    key, gm = _gmssl_key()
    message = b"gmssl interop \x00\x01\x02" * 4
    # gmssl mode=1 is C1C3C2 with C1 as bare x||y (no 04 prefix).
    ct = gm.encrypt(message)
    assert key.decrypt(b"\x04" + ct) == message
    ours = key.public_key.encrypt(message)
    assert gm.decrypt(ours[1:]) == message


def test_openssl_default_id_is_empty(tmp_path):
    # Without -sigopt distid, OpenSSL 3 hashes Z with an empty ID, so both
    # sides must name the ID to interoperate.
    keyfile = tmp_path / "k.pem"
    assert openssl("genpkey", "-algorithm", "SM2", "-out", str(keyfile)).returncode == 0
    key = sm2.SM2PrivateKey.from_pem(keyfile.read_bytes())
    msg = write(tmp_path / "m", b"no distid")
    out = openssl("dgst", "-sm3", "-sign", str(keyfile), msg)
    assert out.returncode == 0, out.stderr
    key.public_key.verify(out.stdout, b"no distid", uid=b"", der=True)
    with pytest.raises(sm2.InvalidSignature):
        key.public_key.verify(out.stdout, b"no distid", der=True)
