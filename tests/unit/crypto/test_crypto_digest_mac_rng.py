"""SM3 / SHA digests, HMAC, CMAC and the CSPRNG."""

import subprocess

import pytest

from layers.crypto import digest, mac, rng, sm3
from layers.crypto.errors import InvalidInput, InvalidKey, InvalidSignature, UnsupportedAlgorithm

h = bytes.fromhex


@pytest.mark.parametrize("alg,data,expected", [
    # GB/T 32905 appendix A
    ("SM3", b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    ("SM3", b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    # FIPS 180 "abc"
    ("SHA1", b"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ("SHA-256", b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("sha384", b"abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
                       "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"),
    ("SHA_512", b"abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
])
def test_digest_vectors(alg, data, expected):
    assert digest.digest(alg, data).hex() == expected
    ctx = digest.new(alg)
    for i in range(len(data)):
        ctx.update(data[i:i + 1])
    assert ctx.finalize().hex() == expected


def test_sm3_helpers():
    assert sm3.sm3(b"abc") == sm3.sm3_concat(b"a", b"", b"bc") == digest.digest("SM3", b"abc")
    # KDF: SM3(z || 00000001) || SM3(z || 00000002) ..., truncated.
    z = b"shared secret"
    stream = sm3.kdf(z, 70)
    assert stream[:32] == sm3.sm3(z + b"\x00\x00\x00\x01")
    assert stream[32:64] == sm3.sm3(z + b"\x00\x00\x00\x02")
    assert stream[64:] == sm3.sm3(z + b"\x00\x00\x00\x03")[:6]
    assert sm3.kdf(z, 0) == b""


def test_unknown_digest_rejected():
    with pytest.raises(UnsupportedAlgorithm):
        digest.digest("MD5", b"x")


# RFC 4231 test cases 1 and 2.
@pytest.mark.parametrize("alg,key,data,expected", [
    ("SHA256", b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    ("SHA512", b"\x0b" * 20, b"Hi There",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
     "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
    ("SHA256", b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
])
def test_hmac_rfc4231(alg, key, data, expected):
    tag = mac.hmac(alg, key, data)
    assert tag.hex() == expected
    mac.hmac_verify(alg, key, data, tag)
    with pytest.raises(InvalidSignature):
        mac.hmac_verify(alg, key, data + b".", tag)
    with pytest.raises(InvalidSignature):
        mac.hmac_verify(alg, key, data, tag[:-1])


def test_hmac_sm3_matches_construction():
    # HMAC per RFC 2104 built by hand on SM3 (block size 64).
    key, data = b"k" * 70, b"message"
    k = sm3.sm3(key).ljust(64, b"\x00")
    inner = sm3.sm3(bytes(b ^ 0x36 for b in k) + data)
    expected = sm3.sm3(bytes(b ^ 0x5C for b in k) + inner)
    assert mac.hmac("SM3", key, data) == expected


# RFC 4493 examples 1, 2 and 4.
@pytest.mark.parametrize("msg,expected", [
    ("", "bb1d6929e95937287fa37d129b756746"),
    ("6bc1bee22e409f96e93d7e117393172a", "070a16b46b4d4144f79bdd9dd04a287c"),
    ("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
     "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
     "51f0bebf7e3b9d92fc49741779363cfe"),
])
def test_aes_cmac_rfc4493(msg, expected):
    key = h("2b7e151628aed2a6abf7158809cf4f3c")
    tag = mac.cmac("AES", key, h(msg))
    assert tag.hex() == expected
    mac.cmac_verify("AES", key, h(msg), tag)
    with pytest.raises(InvalidSignature):
        mac.cmac_verify("AES", key, h(msg) + b"\x00", tag)


def _cmac_by_hand(key, msg):
    """RFC 4493 over SM4-ECB, independent of the CMAC implementation under test."""
    from layers.crypto import symmetric

    def enc(block):
        return symmetric.encrypt("SM4", "ECB", key, block, padding=False)

    def dbl(block):
        v = int.from_bytes(block, "big") << 1
        if v >> 128:
            v = (v & ((1 << 128) - 1)) ^ 0x87
        return v.to_bytes(16, "big")

    k1 = dbl(enc(bytes(16)))
    k2 = dbl(k1)
    blocks = [msg[i:i + 16] for i in range(0, len(msg), 16)] or [b""]
    last = blocks[-1]
    if len(last) == 16:
        last = bytes(a ^ b for a, b in zip(last, k1))
    else:
        last = bytes(a ^ b for a, b in zip(last + b"\x80" + bytes(15 - len(last)), k2))
    state = bytes(16)
    for block in blocks[:-1] + [last]:
        state = enc(bytes(a ^ b for a, b in zip(state, block)))
    return state


@pytest.mark.parametrize("size", [0, 3, 16, 33, 64])
def test_sm4_cmac_matches_rfc4493_construction(size):
    key = h("0123456789abcdeffedcba9876543210")
    msg = bytes(range(size))
    assert mac.cmac("SM4", key, msg) == _cmac_by_hand(key, msg)


def test_sm4_cmac_matches_openssl_cli():
    key = h("0123456789abcdeffedcba9876543210")
    out = subprocess.run(["openssl", "mac", "-cipher", "SM4-CBC", "-macopt", f"hexkey:{key.hex()}", "CMAC"],
                         input=b"abc", capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert mac.cmac("SM4", key, b"abc").hex().upper() == out.stdout.strip().decode()


def test_cmac_key_checks():
    with pytest.raises(InvalidKey):
        mac.cmac("SM4", b"short", b"x")
    with pytest.raises(InvalidKey):
        mac.cmac("AES", bytes(20), b"x")
    with pytest.raises(UnsupportedAlgorithm):
        mac.cmac("3DES", bytes(24), b"x")


def test_random_bytes():
    a, b = rng.random_bytes(32), rng.random_bytes(32)
    assert len(a) == 32 and a != b
    assert rng.random_bytes(0) == b""
    for bad in (-1, rng.MAX_RANDOM_BYTES + 1, 1.5, "8", True):
        with pytest.raises(InvalidInput):
            rng.random_bytes(bad)
    values = {rng.random_below(3) for _ in range(200)}
    assert values == {0, 1, 2}
    with pytest.raises(InvalidInput):
        rng.random_below(0)
