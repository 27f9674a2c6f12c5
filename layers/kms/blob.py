"""CiphertextBlob: what Encrypt and GenerateDataKey return and Decrypt and ReEncrypt take.

    base64( "GZ" | format 1 (1) | algorithm (1) | KeyId (36, ASCII) | key version (4) |
            nonce (12) | ciphertext | tag (16) )

Self-describing (which key, which version, which algorithm) and tamper-evident: SM4-GCM (AES-GCM
under an ENCRYPT_DECRYPT_AES_* key, with a subkey HMAC-SHA256(material, label) so that the raw cipher's
modes on the same material cannot forge blobs) whose
associated data is the header plus the account, the region and the canonical EncryptionContext,
so a changed byte, another account, another region or another context fails the tag check.
"""
import base64
import binascii
from dataclasses import dataclass

from layers.crypto import CryptoError, mac, random_bytes, symmetric
from layers.keystore.wrapping import binding
from layers.kms import errors
from layers.kms.params import KEY_ID

MAGIC, FORMAT = b"GZ", 1
ALGORITHMS = {1: "SM4", 2: "AES_256", 3: "AES_128"}     # algorithm byte -> cipher (GCM mode)
ALGORITHM_IDS = {v: k for k, v in ALGORITHMS.items()}
_KEY_ID, _HEADER, _NONCE, _TAG = 36, 2 + 1 + 1 + 36 + 4, 12, 16
MIN_SIZE = _HEADER + _NONCE + _TAG


@dataclass(frozen=True)
class Blob:
    key_id: str
    version: int
    algorithm: str
    header: bytes
    nonce: bytes
    ciphertext: bytes
    tag: bytes


def _blob_key(algorithm: str, key: bytes) -> bytes:
    """AES keys seal blobs under a subkey of their material (the raw cipher uses the material itself);
    SM4 keys use their material, as blobs made before the raw cipher existed do."""
    if algorithm == "SM4":
        return key
    return mac.hmac("SHA256", key, b"guardzone-cmk-blob-v1")[:len(key)]


def _aad(header: bytes, account: str, region: str, context: str) -> bytes:
    return header + binding("guardzone-cmk-blob-v1", account, region, context)


def seal(key: bytes, algorithm: str, key_id: str, version: int, plaintext: bytes, *, account: str,
         region: str, context: str) -> str:
    header = MAGIC + bytes([FORMAT, ALGORITHM_IDS[algorithm]]) + key_id.encode() + version.to_bytes(4, "big")
    nonce = random_bytes(_NONCE)
    ciphertext, tag = symmetric.gcm_encrypt(algorithm, _blob_key(algorithm, key), nonce, plaintext,
                                            aad=_aad(header, account, region, context))
    return base64.b64encode(header + nonce + ciphertext + tag).decode()


def parse(text: str) -> Blob:
    """The blob's parts, or InvalidCiphertext for anything that is not one of our blobs."""
    try:
        raw = base64.b64decode(text or "", validate=True)
    except (binascii.Error, ValueError):
        raise errors.invalid_ciphertext("not valid base64") from None
    if len(raw) < MIN_SIZE or raw[:2] != MAGIC or raw[2] != FORMAT or raw[3] not in ALGORITHMS:
        raise errors.invalid_ciphertext("not a CiphertextBlob this service produced")
    try:
        key_id = raw[4:4 + _KEY_ID].decode("ascii")
    except UnicodeDecodeError:
        raise errors.invalid_ciphertext("not a CiphertextBlob this service produced") from None
    if not KEY_ID.match(key_id):
        raise errors.invalid_ciphertext("not a CiphertextBlob this service produced")
    return Blob(key_id=key_id, version=int.from_bytes(raw[40:44], "big"), algorithm=ALGORITHMS[raw[3]],
                header=raw[:_HEADER], nonce=raw[_HEADER:_HEADER + _NONCE],
                ciphertext=raw[_HEADER + _NONCE:-_TAG], tag=raw[-_TAG:])


def open_blob(blob: Blob, key: bytes, *, account: str, region: str, context: str) -> bytes:
    try:
        return symmetric.gcm_decrypt(blob.algorithm, _blob_key(blob.algorithm, key), blob.nonce, blob.ciphertext,
                                     blob.tag, aad=_aad(blob.header, account, region, context))
    except CryptoError:
        raise errors.invalid_ciphertext("it was modified, or the EncryptionContext differs from the one "
                                        "it was encrypted with") from None
