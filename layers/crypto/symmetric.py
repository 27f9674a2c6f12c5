"""Block ciphers: SM4, AES and 3DES in ECB / CBC / CTR, and SM4 / AES in GCM.

    encrypt(algorithm, mode, key, data, *, iv=None, padding=None) -> bytes
    decrypt(algorithm, mode, key, data, *, iv=None, padding=None) -> bytes
    gcm_encrypt(algorithm, key, nonce, plaintext, aad=b"", tag_length=16) -> (ciphertext, tag)
    gcm_decrypt(algorithm, key, nonce, ciphertext, tag, aad=b"") -> plaintext

algorithm: "SM4" (16-byte key), "AES" (16/24/32-byte key; "AES128", "AES192",
"AES256" also accepted and pin the size), "3DES" (16- or 24-byte key; the
8-byte single-DES form and keys whose halves repeat are refused).
mode: "ECB", "CBC" (PKCS#7 padding unless padding=False) or "CTR" (SM4 and
AES; no padding; the IV is the initial 128-bit counter block).

Everything runs on `cryptography` (OpenSSL). TripleDES lives in
`cryptography.hazmat.decrepit` from cryptography 43 on; older releases keep it
in the primitives module, and both are handled. SM4-GCM uses the GCM mode
that `cryptography` offers for SM4 through OpenSSL's EVP interface.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag as _CryptographyInvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionFailed, InvalidInput, InvalidKey, InvalidTag, UnsupportedAlgorithm

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # cryptography < 43
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

_KEY_SIZES = {
    "SM4": (16,),
    "AES": (16, 24, 32),
    "AES128": (16,),
    "AES192": (24,),
    "AES256": (32,),
    "3DES": (16, 24),
    "TDES": (16, 24),
}
_MODES = ("ECB", "CBC", "CTR")


def _normalise(algorithm: str) -> str:
    name = algorithm.upper().replace("-", "").replace("_", "")
    if name in ("DESEDE", "DES3", "TRIPLEDES"):
        name = "3DES"
    if name not in _KEY_SIZES:
        raise UnsupportedAlgorithm(f"unsupported cipher {algorithm!r}")
    return name


def _cipher_algorithm(algorithm: str, key: bytes):
    name = _normalise(algorithm)
    key = bytes(key)
    if len(key) not in _KEY_SIZES[name]:
        sizes = " or ".join(str(s) for s in _KEY_SIZES[name])
        raise InvalidKey(f"{algorithm} key must be {sizes} bytes, got {len(key)}")
    if name == "SM4":
        return algorithms.SM4(key)
    if name.startswith("AES"):
        return algorithms.AES(key)
    if len(key) == 16:  # two-key 3DES is K1 K2 K1
        key += key[:8]
    # K1 == K2 or K2 == K3 collapses EDE to single DES.
    if key[:8] == key[8:16] or key[8:16] == key[16:24]:
        raise InvalidKey("3DES key halves repeat (equivalent to single DES)")
    return TripleDES(key)


def _mode(mode: str, iv: bytes | None, block: int):
    mode = mode.upper()
    if mode not in _MODES:
        raise UnsupportedAlgorithm(f"unsupported mode {mode!r} (use gcm_encrypt for GCM)")
    if mode == "ECB":
        if iv is not None:
            raise InvalidInput("ECB takes no IV")
        return mode, modes.ECB()
    if iv is None or len(iv) != block:
        raise InvalidInput(f"{mode} needs a {block}-byte IV")
    if mode == "CBC":
        return mode, modes.CBC(bytes(iv))
    if block != 16:
        raise UnsupportedAlgorithm("CTR mode is offered for 128-bit block ciphers only")
    return mode, modes.CTR(bytes(iv))


def pkcs7_pad(data: bytes, block: int) -> bytes:
    n = block - len(data) % block
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes, block: int) -> bytes:
    if not data or len(data) % block:
        raise DecryptionFailed("ciphertext length is not a multiple of the block size")
    n = data[-1]
    # Check every padding byte without stopping at the first mismatch.
    bad = int(n == 0 or n > block)
    for i in range(1, block + 1):
        in_pad = i <= n
        bad |= int(in_pad and data[-i] != n)
    if bad:
        raise DecryptionFailed("invalid padding")
    return data[:-n]


def encrypt(algorithm: str, mode: str, key: bytes, data: bytes, *,
            iv: bytes | None = None, padding: bool | None = None) -> bytes:
    alg = _cipher_algorithm(algorithm, key)
    block = alg.block_size // 8
    mode, m = _mode(mode, iv, block)
    data = bytes(data)
    if padding is None:
        padding = mode != "CTR"
    if padding:
        if mode == "CTR":
            raise InvalidInput("CTR mode does not use padding")
        data = pkcs7_pad(data, block)
    elif mode != "CTR" and len(data) % block:
        raise InvalidInput(f"data must be a multiple of {block} bytes without padding")
    enc = Cipher(alg, m).encryptor()
    return enc.update(data) + enc.finalize()


def decrypt(algorithm: str, mode: str, key: bytes, data: bytes, *,
            iv: bytes | None = None, padding: bool | None = None) -> bytes:
    alg = _cipher_algorithm(algorithm, key)
    block = alg.block_size // 8
    mode, m = _mode(mode, iv, block)
    data = bytes(data)
    if padding is None:
        padding = mode != "CTR"
    if padding and mode == "CTR":
        raise InvalidInput("CTR mode does not use padding")
    if mode != "CTR" and len(data) % block:
        raise DecryptionFailed("ciphertext length is not a multiple of the block size")
    dec = Cipher(alg, m).decryptor()
    out = dec.update(data) + dec.finalize()
    return pkcs7_unpad(out, block) if padding else out


def _gcm_args(algorithm: str, key: bytes, nonce: bytes, tag_length: int):
    name = _normalise(algorithm)
    if name not in ("SM4", "AES", "AES128", "AES192", "AES256"):
        raise UnsupportedAlgorithm(f"GCM is offered for SM4 and AES, not {algorithm}")
    alg = _cipher_algorithm(name, key)
    if not 12 <= len(nonce) <= 128:
        raise InvalidInput("GCM nonce must be 12 to 128 bytes (12 recommended)")
    if not 12 <= tag_length <= 16:
        raise InvalidInput("GCM tag length must be 12 to 16 bytes")
    return name, alg


def gcm_encrypt(algorithm: str, key: bytes, nonce: bytes, plaintext: bytes,
                aad: bytes = b"", tag_length: int = 16) -> tuple[bytes, bytes]:
    """(ciphertext, tag)."""
    name, alg = _gcm_args(algorithm, key, nonce, tag_length)
    if name != "SM4" and tag_length == 16 and len(nonce) == 12:
        out = AESGCM(bytes(key)).encrypt(bytes(nonce), bytes(plaintext), bytes(aad) or None)
        return out[:-16], out[-16:]
    enc = Cipher(alg, modes.GCM(bytes(nonce))).encryptor()
    if aad:
        enc.authenticate_additional_data(bytes(aad))
    ct = enc.update(bytes(plaintext)) + enc.finalize()
    return ct, enc.tag[:tag_length]


def gcm_decrypt(algorithm: str, key: bytes, nonce: bytes, ciphertext: bytes, tag: bytes,
                aad: bytes = b"") -> bytes:
    name, alg = _gcm_args(algorithm, key, nonce, len(tag))
    try:
        if name != "SM4" and len(tag) == 16 and len(nonce) == 12:
            return AESGCM(bytes(key)).decrypt(
                bytes(nonce), bytes(ciphertext) + bytes(tag), bytes(aad) or None
            )
        dec = Cipher(alg, modes.GCM(bytes(nonce), bytes(tag), min_tag_length=len(tag))).decryptor()
        if aad:
            dec.authenticate_additional_data(bytes(aad))
        return dec.update(bytes(ciphertext)) + dec.finalize()
    except _CryptographyInvalidTag:
        raise InvalidTag("GCM authentication tag does not match") from None
