"""PostQuantumCryptoEncrypt / PostQuantumCryptoDecrypt: a hybrid envelope under an ML-KEM CMK.

ML-KEM is a key-encapsulation mechanism: it makes a fresh 32-byte shared secret and the ciphertext that
carries it to the private key; it does not encrypt data. So encrypting a plaintext is KEM + AEAD:

    encapsulate to the CMK's public key -> (shared secret, KEM ciphertext)
    AES-256-GCM(key = shared secret, random 12-byte nonce, plaintext, associated data)

and the CiphertextBlob carries everything but the secret:

    base64( "GQ" | format 1 (1) | algorithm (1: ML-KEM-768, 2: ML-KEM-1024) | KeyId (36, ASCII) |
            key version (4) | KEM ciphertext (1088 | 1568) | nonce (12) | ciphertext | tag (16) )

The shared secret is already a uniformly random key (FIPS 203's output) and never used twice, so it
is the AES key as is. The associated data is the header plus the account and the region, so a changed
byte, another account or another region fails the tag check; a changed KEM ciphertext decapsulates
to an unrelated secret (implicit rejection) and fails it too.
"""
import base64
import binascii
from dataclasses import dataclass

from layers.crypto import CryptoError, pqc, random_bytes, symmetric
from layers.keystore.wrapping import binding
from layers.kms import errors
from layers.kms.params import KEY_ID

MAGIC, FORMAT = b"GQ", 1
ALGORITHMS = {1: "ML-KEM-768", 2: "ML-KEM-1024"}
ALGORITHM_IDS = {v: k for k, v in ALGORITHMS.items()}
KEM_CIPHERTEXT = {"ML-KEM-768": 1088, "ML-KEM-1024": 1568}
_KEY_ID, _HEADER, _NONCE, _TAG = 36, 2 + 1 + 1 + 36 + 4, 12, 16


@dataclass(frozen=True)
class Envelope:
    key_id: str
    version: int
    algorithm: str
    header: bytes
    kem_ciphertext: bytes
    nonce: bytes
    ciphertext: bytes
    tag: bytes


def _aad(header: bytes, account: str, region: str) -> bytes:
    return header + binding("guardzone-pqc-blob-v1", account, region)


def seal(public_key, algorithm: str, key_id: str, version: int, plaintext: bytes, *, account: str,
         region: str) -> str:
    header = MAGIC + bytes([FORMAT, ALGORITHM_IDS[algorithm]]) + key_id.encode() + version.to_bytes(4, "big")
    secret, kem_ciphertext = pqc.encapsulate(public_key)
    nonce = random_bytes(_NONCE)
    ciphertext, tag = symmetric.gcm_encrypt("AES256", secret, nonce, plaintext, aad=_aad(header, account, region))
    return base64.b64encode(header + kem_ciphertext + nonce + ciphertext + tag).decode()


def parse(text: str) -> Envelope:
    """The envelope's parts, or InvalidCiphertext for anything that is not one of ours."""
    try:
        raw = base64.b64decode(text or "", validate=True)
    except (binascii.Error, ValueError):
        raise errors.invalid_ciphertext("not valid base64") from None
    not_ours = "not a CiphertextBlob PostQuantumCryptoEncrypt produced"
    if len(raw) < _HEADER or raw[:2] != MAGIC or raw[2] != FORMAT or raw[3] not in ALGORITHMS:
        raise errors.invalid_ciphertext(not_ours)
    algorithm = ALGORITHMS[raw[3]]
    kem = KEM_CIPHERTEXT[algorithm]
    if len(raw) < _HEADER + kem + _NONCE + _TAG:
        raise errors.invalid_ciphertext(not_ours)
    try:
        key_id = raw[4:4 + _KEY_ID].decode("ascii")
    except UnicodeDecodeError:
        raise errors.invalid_ciphertext(not_ours) from None
    if not KEY_ID.match(key_id):
        raise errors.invalid_ciphertext(not_ours)
    body = raw[_HEADER:]
    return Envelope(key_id=key_id, version=int.from_bytes(raw[40:44], "big"), algorithm=algorithm,
                    header=raw[:_HEADER], kem_ciphertext=body[:kem], nonce=body[kem:kem + _NONCE],
                    ciphertext=body[kem + _NONCE:-_TAG], tag=body[-_TAG:])


def open_envelope(envelope: Envelope, private_key, *, account: str, region: str) -> bytes:
    try:
        secret = pqc.decapsulate(private_key, envelope.kem_ciphertext)
        return symmetric.gcm_decrypt("AES256", secret, envelope.nonce, envelope.ciphertext, envelope.tag,
                                     aad=_aad(envelope.header, account, region))
    except CryptoError:
        raise errors.invalid_ciphertext("it was modified, or it was not made for this account and region") from None
