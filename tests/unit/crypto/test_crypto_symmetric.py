"""SM4 / AES / 3DES: standard vectors, mode round trips, tamper and size rejection."""

import os
import subprocess

import pytest

from layers.crypto import symmetric
from layers.crypto.errors import (
    DecryptionFailed,
    InvalidInput,
    InvalidKey,
    InvalidTag,
    UnsupportedAlgorithm,
)

h = bytes.fromhex
SM4_KEY = h("0123456789abcdeffedcba9876543210")


def test_sm4_gbt32907_single_block():
    assert symmetric.encrypt("SM4", "ECB", SM4_KEY, SM4_KEY, padding=False) == h(
        "681edf34d206965e86b3e94f536e4246"
    )
    assert symmetric.decrypt("SM4", "ECB", SM4_KEY, h("681edf34d206965e86b3e94f536e4246"),
                             padding=False) == SM4_KEY


def test_sm4_gbt32907_million_iterations():
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    # The layer's ECB is the same OpenSSL cipher; one context keeps this under a second.
    enc = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    block = SM4_KEY
    for _ in range(999_999):
        block = enc.update(block)
    last = symmetric.encrypt("SM4", "ECB", SM4_KEY, block, padding=False)
    assert last == h("595298c7c6fd271f0402f804c33d3f66")
    assert symmetric.decrypt("SM4", "ECB", SM4_KEY, last, padding=False) == block


def test_sm4_gcm_rfc8998():
    key = SM4_KEY
    nonce = h("00001234567800000000ABCD")
    aad = h("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    pt = h("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
           "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
    ct = h("17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
           "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D")
    tag = h("83DE3541E4C2B58177E065A9BF7B62EC")
    assert symmetric.gcm_encrypt("SM4", key, nonce, pt, aad) == (ct, tag)
    assert symmetric.gcm_decrypt("SM4", key, nonce, ct, tag, aad) == pt


# The GCM specification's test cases 3 and 4 (also in NIST's GCM test data).
GCM_KEY = h("feffe9928665731c6d6a8f9467308308")
GCM_IV = h("cafebabefacedbaddecaf888")
GCM_PT = h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
           "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
GCM_CT = h("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
           "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091")


def test_aes_gcm_test_case_3():
    ct, tag = symmetric.gcm_encrypt("AES", GCM_KEY, GCM_IV, GCM_PT + h("1aafd255"))
    assert ct == GCM_CT + h("473f5985")
    assert tag == h("4d5c2af327cd64a62cf35abd2ba6fab4")


def test_aes_gcm_test_case_4_with_aad():
    aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    ct, tag = symmetric.gcm_encrypt("AES128", GCM_KEY, GCM_IV, GCM_PT, aad)
    assert (ct, tag) == (GCM_CT, h("5bc94fbc3221a5db94fae95ae7121a47"))
    assert symmetric.gcm_decrypt("AES", GCM_KEY, GCM_IV, ct, tag, aad) == GCM_PT
    with pytest.raises(InvalidTag):
        symmetric.gcm_decrypt("AES", GCM_KEY, GCM_IV, ct, tag, aad + b"x")


@pytest.mark.parametrize("alg,key_len", [("SM4", 16), ("AES", 16), ("AES", 32)])
@pytest.mark.parametrize("part", ["ct", "tag", "nonce"])
def test_gcm_tamper_rejected(alg, key_len, part):
    key, nonce = os.urandom(key_len), os.urandom(12)
    ct, tag = symmetric.gcm_encrypt(alg, key, nonce, b"sixteen byte msg", b"aad")
    ct, tag, nonce = bytearray(ct), bytearray(tag), bytearray(nonce)
    {"ct": ct, "tag": tag, "nonce": nonce}[part][0] ^= 1
    with pytest.raises(InvalidTag):
        symmetric.gcm_decrypt(alg, key, bytes(nonce), bytes(ct), bytes(tag), b"aad")


def test_gcm_short_tag_and_long_nonce():
    key = os.urandom(16)
    for alg in ("AES", "SM4"):
        nonce = os.urandom(16)
        ct, tag = symmetric.gcm_encrypt(alg, key, nonce, b"data", tag_length=12)
        assert len(tag) == 12
        assert symmetric.gcm_decrypt(alg, key, nonce, ct, tag) == b"data"


def test_aes_fips197_block():
    # FIPS 197 appendix C.1 (AES-128) and C.3 (AES-256).
    pt = h("00112233445566778899aabbccddeeff")
    k128 = h("000102030405060708090a0b0c0d0e0f")
    k256 = h("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
    assert symmetric.encrypt("AES", "ECB", k128, pt, padding=False) == h("69c4e0d86a7b0430d8cdb78070b4c55a")
    assert symmetric.encrypt("AES256", "ECB", k256, pt, padding=False) == h("8ea2b7ca516745bfeafc49904b496089")


def test_aes_cbc_sp800_38a():
    # SP 800-38A F.2.1 CBC-AES128.Encrypt, first two blocks.
    key = h("2b7e151628aed2a6abf7158809cf4f3c")
    iv = h("000102030405060708090a0b0c0d0e0f")
    pt = h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
    ct = h("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2")
    assert symmetric.encrypt("AES", "CBC", key, pt, iv=iv, padding=False) == ct
    padded = symmetric.encrypt("AES", "CBC", key, pt, iv=iv)
    assert padded[:32] == ct and len(padded) == 48
    assert symmetric.decrypt("AES", "CBC", key, padded, iv=iv) == pt


def test_aes_ctr_sp800_38a():
    # SP 800-38A F.5.1 CTR-AES128.Encrypt, first block.
    key = h("2b7e151628aed2a6abf7158809cf4f3c")
    ctr = h("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
    assert symmetric.encrypt("AES", "CTR", key, h("6bc1bee22e409f96e93d7e117393172a"), iv=ctr) == h(
        "874d6191b620e3261bef6864990db6ce"
    )


def test_3des_sp800_67_example():
    key = h("0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123")
    pt = b"The qufck brown fox jump"
    ct = h("A826FD8CE53B855FCCE21C8112256FE668D5C05DD9B6B900")
    assert symmetric.encrypt("3DES", "ECB", key, pt, padding=False) == ct
    assert symmetric.decrypt("3DES", "ECB", key, ct, padding=False) == pt


def test_3des_cbc_matches_openssl_cli():
    key = h("0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123")
    iv = h("1234567890abcdef")
    data = b"three-key triple DES in CBC mode"
    out = subprocess.run(["openssl", "enc", "-des-ede3-cbc", "-K", key.hex(), "-iv", iv.hex()],
                         input=data, capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert symmetric.encrypt("3DES", "CBC", key, data, iv=iv) == out.stdout


CIPHERS = [("SM4", 16, 16), ("AES", 16, 16), ("AES", 24, 16), ("AES", 32, 16), ("3DES", 24, 8), ("3DES", 16, 8)]


@pytest.mark.parametrize("alg,key_len,block,mode", [
    (*cipher, mode) for cipher in CIPHERS for mode in ("ECB", "CBC", "CTR") if mode != "CTR" or cipher[2] == 16
])
@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100])
def test_round_trips(alg, key_len, block, mode, size):
    key = os.urandom(key_len)
    iv = None if mode == "ECB" else os.urandom(block)
    data = os.urandom(size)
    ct = symmetric.encrypt(alg, mode, key, data, iv=iv)
    if mode == "CTR":
        assert len(ct) == size
    else:
        assert len(ct) == (size // block + 1) * block
    assert symmetric.decrypt(alg, mode, key, ct, iv=iv) == data


@pytest.mark.parametrize("alg,size", [("SM4", 15), ("SM4", 17), ("SM4", 8), ("AES", 0), ("AES", 20),
                                      ("AES128", 32), ("AES256", 16), ("3DES", 8), ("3DES", 32)])
def test_wrong_key_size_rejected(alg, size):
    with pytest.raises(InvalidKey):
        symmetric.encrypt(alg, "ECB", os.urandom(size), b"x")


def test_degenerate_3des_keys_rejected():
    k1, k2 = os.urandom(8), os.urandom(8)
    for key in (k1 + k1, k1 + k1 + k2, k1 + k2 + k2):
        with pytest.raises(InvalidKey):
            symmetric.encrypt("3DES", "ECB", key, b"x")


def test_3des_has_no_ctr_mode():
    with pytest.raises(UnsupportedAlgorithm):
        symmetric.encrypt("3DES", "CTR", os.urandom(24), b"x", iv=os.urandom(8))


def test_iv_and_mode_checks():
    key = os.urandom(16)
    with pytest.raises(InvalidInput):
        symmetric.encrypt("SM4", "CBC", key, b"x")
    with pytest.raises(InvalidInput):
        symmetric.encrypt("SM4", "CBC", key, b"x", iv=os.urandom(8))
    with pytest.raises(InvalidInput):
        symmetric.encrypt("SM4", "ECB", key, b"x", iv=os.urandom(16))
    with pytest.raises(InvalidInput):
        symmetric.encrypt("SM4", "ECB", key, b"x" * 15, padding=False)
    with pytest.raises(UnsupportedAlgorithm):
        symmetric.encrypt("SM4", "OFB", key, b"x", iv=os.urandom(16))
    with pytest.raises(UnsupportedAlgorithm):
        symmetric.encrypt("DES", "ECB", os.urandom(8), b"x")
    with pytest.raises(UnsupportedAlgorithm):
        symmetric.gcm_encrypt("3DES", os.urandom(24), os.urandom(12), b"x")
    with pytest.raises(InvalidInput):
        symmetric.gcm_encrypt("AES", key, os.urandom(8), b"x")


def test_bad_padding_rejected():
    key, iv = os.urandom(16), os.urandom(16)
    ct = bytearray(symmetric.encrypt("AES", "CBC", key, b"exactly sixteen!", iv=iv))
    ct[-17] ^= 0x01  # flips the last plaintext byte: the full padding block 0x10 * 16 breaks
    with pytest.raises(DecryptionFailed):
        symmetric.decrypt("AES", "CBC", key, bytes(ct), iv=iv)
    with pytest.raises(DecryptionFailed):
        symmetric.decrypt("AES", "CBC", key, bytes(ct[:-1]), iv=iv)


def test_pkcs7_unpad_checks_every_byte():
    assert symmetric.pkcs7_unpad(b"abc" + b"\x05" * 5, 8) == b"abc"
    for bad in (b"abcdefg\x00", b"abcdefg\x09", b"abc\x04\x05\x05\x05\x05"):
        with pytest.raises(DecryptionFailed):
            symmetric.pkcs7_unpad(bad, 8)
