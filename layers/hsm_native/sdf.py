"""GM/T 0018-2012 / GB/T 36322-2018 SDF functions of libguardzone-pkcs11.so over a VSM.

Two halves:

* ``Sdf`` — the device model in plain Python (handles, sessions, key handles, hash contexts), each
  method taking and returning Python values and raising ``SdfError(SDR_*)`` on failure. It reaches
  the VSM through a *backend* (``ConfigBackend``: the library's config file and API client):
  ``backend.vsm_id`` (the VSM that is the SDF device), ``backend.api`` (a client usable without a
  password, or None), ``backend.unlock(password) -> client`` (raising ``SdfError(SDR_PRKRERR)``) and
  ``backend.kms(client, action, params) -> dict`` (the KMS JSON API, raising ``BackendError``).
* ``install(ffi)`` — the C ABI: one ``@ffi.def_extern`` per function of ``sdf_api.h``, converting
  the C structures (ECCrefPublicKey, ECCSignature, ECCCipher, DEVICEINFO) and never raising into C.

Where key material lives (docs/cloudhsm.md, "SDF (GM/T 0018)"):

* Internal keys (index N): in the VSM's key domain, as KMS keys with the aliases ``sdf-<N>-sign``
  (ASYMMETRIC_SIGN_VERIFY_SM2), ``sdf-<N>-enc`` (ASYMMETRIC_DECRYPT_SM2) and ``sdf-<N>-kek``
  (ENCRYPT_DECRYPT, SM4). Their private/secret parts never reach this process: signing, SM2
  decryption and KEK wrapping/unwrapping are API calls; public-key operations run here.
* Session keys (key handles): the standard hands them to the caller's session, and the VSM's API has
  no SM4-ECB/CBC with a key it keeps, so a session key's 16 bytes are held in this process's memory,
  in the session that made it, until SDF_DestroyKey or SDF_CloseSession (overwritten then) — never
  written to disk or logged. They leave the process only wrapped (under an internal SM2 key, a KEK,
  or the caller's public key).
* SDF_GenerateKeyPair_ECC makes an *external* key pair whose private key the standard returns to the
  caller; it is generated here (OS CSPRNG) and not kept.
"""
from __future__ import annotations

import base64
import itertools
import threading
import time
from dataclasses import dataclass, field

from layers.crypto import sm2, sm3, symmetric
from layers.crypto.errors import CryptoError, InvalidSignature

# -- constants (sdf_api.h) --------------------------------------------------------------------------

SGD_SM4_ECB = 0x00000401
SGD_SM4_CBC = 0x00000402
SGD_SM4_MAC = 0x00000410
SGD_SM2 = 0x00020100
SGD_SM2_1 = 0x00020200
SGD_SM2_2 = 0x00020400
SGD_SM2_3 = 0x00020800
SGD_SM3 = 0x00000001
SGD_SHA256 = 0x00000004

SDR_OK = 0
SDR_BASE = 0x01000000
SDR_UNKNOWERR = SDR_BASE + 0x01
SDR_NOTSUPPORT = SDR_BASE + 0x02
SDR_COMMFAIL = SDR_BASE + 0x03
SDR_HARDFAIL = SDR_BASE + 0x04
SDR_OPENDEVICE = SDR_BASE + 0x05
SDR_OPENSESSION = SDR_BASE + 0x06
SDR_PARDENY = SDR_BASE + 0x07
SDR_KEYNOTEXIST = SDR_BASE + 0x08
SDR_ALGNOTSUPPORT = SDR_BASE + 0x09
SDR_ALGMODNOTSUPPORT = SDR_BASE + 0x0A
SDR_PKOPERR = SDR_BASE + 0x0B
SDR_SKOPERR = SDR_BASE + 0x0C
SDR_SIGNERR = SDR_BASE + 0x0D
SDR_VERIFYERR = SDR_BASE + 0x0E
SDR_SYMOPERR = SDR_BASE + 0x0F
SDR_STEPERR = SDR_BASE + 0x10
SDR_KEYTYPEERR = SDR_BASE + 0x14
SDR_KEYERR = SDR_BASE + 0x15
SDR_ENCDATAERR = SDR_BASE + 0x16
SDR_RANDERR = SDR_BASE + 0x17
SDR_PRKRERR = SDR_BASE + 0x18
SDR_MACERR = SDR_BASE + 0x19
SDR_NOBUFFER = SDR_BASE + 0x1C
SDR_INARGERR = SDR_BASE + 0x1D
SDR_OUTARGERR = SDR_BASE + 0x1E

ECCREF_MAX_LEN = 64
SESSION_KEY_BYTES = 16           # SM4
MAX_RANDOM = 1024                # GenerateRandom's limit per API call
MAX_SM2_PLAINTEXT = 136          # AsymmetricSm2Decrypt takes <= 256 bytes of C1C3C2 (97 + 136 < 256)
KEY_CACHE_SECONDS = 5.0          # how long an index -> KeyId (and public key) lookup is reused
KEK_BLOB_LEN = 88                # a KMS CiphertextBlob of a 16-byte key: 2+1+1+36+4+12+16+16

ALIAS = {"sign": "sdf-{}-sign", "enc": "sdf-{}-enc", "kek": "sdf-{}-kek"}
USAGE = {"sign": "ASYMMETRIC_SIGN_VERIFY_SM2", "enc": "ASYMMETRIC_DECRYPT_SM2", "kek": "ENCRYPT_DECRYPT"}


class SdfError(Exception):
    def __init__(self, code: int, why: str = ""):
        super().__init__(f"0x{code:08X} {why}")
        self.code = code


class BackendError(Exception):
    """The API answered an error (``code`` is its Tencent-style code) or could not be reached
    (``code`` is None)."""

    def __init__(self, code: str | None, message: str = ""):
        super().__init__(f"{code}: {message}")
        self.code = code


# API error code -> SDR code (default: the operation's own failure code)
_API_CODES = {
    "ResourceUnavailable.CmkNotFound": SDR_KEYNOTEXIST,
    "ResourceUnavailable.CmkDisabled": SDR_KEYERR,
    "ResourceUnavailable.CmkStateNotSupport": SDR_KEYERR,
    "ResourceUnavailable.CmkArchived": SDR_KEYERR,
    "InvalidParameterValue.InvalidKeyUsage": SDR_KEYTYPEERR,
    "InvalidParameterValue.InvalidCiphertext": SDR_ENCDATAERR,
    "FailedOperation.DecryptError": SDR_ENCDATAERR,
    "RequestLimitExceeded": SDR_HARDFAIL,
}


def _map_backend(exc: BackendError, default: int) -> SdfError:
    code = exc.code
    if code is None:
        return SdfError(SDR_COMMFAIL, f"the VSM's endpoint cannot be reached ({exc})")
    if code in _API_CODES:
        return SdfError(_API_CODES[code], code)
    if code.startswith(("AuthFailure", "UnauthorizedOperation")):
        return SdfError(SDR_PARDENY, code)
    if code.startswith("RequestLimitExceeded"):
        return SdfError(SDR_HARDFAIL, code)
    return SdfError(default, code)


# -- encodings --------------------------------------------------------------------------------------

def _pad64(value: bytes) -> bytes:
    return b"\x00" * (ECCREF_MAX_LEN - len(value)) + value


def _unpad64(value: bytes) -> bytes:
    if any(value[:ECCREF_MAX_LEN - 32]):
        raise SdfError(SDR_INARGERR, "coordinate longer than 256 bits")
    return value[ECCREF_MAX_LEN - 32:]


def public_to_ref(public: sm2.SM2PublicKey) -> tuple[int, bytes, bytes]:
    raw = public.to_bytes()            # 04 || x || y
    return 256, _pad64(raw[1:33]), _pad64(raw[33:65])


def public_from_ref(bits: int, x: bytes, y: bytes) -> sm2.SM2PublicKey:
    if bits != 256:
        raise SdfError(SDR_KEYTYPEERR, "only 256-bit SM2 keys")
    try:
        return sm2.SM2PublicKey.from_bytes(b"\x04" + _unpad64(x) + _unpad64(y))
    except CryptoError:
        raise SdfError(SDR_KEYERR, "not a point of the SM2 curve") from None


def cipher_to_ref(c1c3c2: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """C1C3C2 -> (x, y, M, C) of an ECCCipher."""
    return _pad64(c1c3c2[1:33]), _pad64(c1c3c2[33:65]), c1c3c2[65:97], c1c3c2[97:]


def cipher_from_ref(x: bytes, y: bytes, m: bytes, c: bytes) -> bytes:
    if not c:
        raise SdfError(SDR_ENCDATAERR, "empty ciphertext")
    return b"\x04" + _unpad64(x) + _unpad64(y) + m + c


# -- the device model -------------------------------------------------------------------------------

@dataclass
class _Session:
    device: int
    rights: set = field(default_factory=set)      # key indexes whose private-key access was granted
    keys: dict = field(default_factory=dict)      # key handle -> bytearray (session key)
    hash: object = None                           # running hash context
    api: object = None                            # the credential the access-right password unlocked


class Sdf:
    """Handles are small integers (device, session and key handles share one counter, so a handle of
    one kind is never valid as another)."""

    def __init__(self, backend_factory):
        self._backend_factory = backend_factory
        self._backend = None
        self._lock = threading.RLock()
        self._ids = itertools.count(0x5D000001)
        self._devices: set[int] = set()
        self._sessions: dict[int, _Session] = {}
        self._key_owner: dict[int, int] = {}           # key handle -> session handle
        self._lookups: dict[tuple, tuple] = {}         # (kind, index) -> (expires, KeyId, public key)

    # device and sessions
    def open_device(self) -> int:
        with self._lock:
            if self._backend is None:
                try:
                    self._backend = self._backend_factory()
                except SdfError:
                    raise
                except BackendError as exc:
                    raise SdfError(SDR_COMMFAIL if exc.code is None else SDR_OPENDEVICE, str(exc)) from None
                except Exception as exc:                 # no or bad configuration
                    raise SdfError(SDR_OPENDEVICE, f"{type(exc).__name__}: {exc}") from None
            handle = next(self._ids)
            self._devices.add(handle)
            return handle

    def close_device(self, device: int) -> None:
        with self._lock:
            if device not in self._devices:
                raise SdfError(SDR_INARGERR, "not an open device handle")
            for sid in [s for s, sess in self._sessions.items() if sess.device == device]:
                self._drop_session(sid)
            self._devices.discard(device)
            if not self._devices:                        # the next SDF_OpenDevice reads the config again
                self._lookups.clear()
                self._backend = None

    def open_session(self, device: int) -> int:
        with self._lock:
            if device not in self._devices:
                raise SdfError(SDR_INARGERR, "not an open device handle")
            handle = next(self._ids)
            self._sessions[handle] = _Session(device)
            return handle

    def close_session(self, session: int) -> None:
        with self._lock:
            self._session(session)
            self._drop_session(session)

    def _drop_session(self, session: int) -> None:
        sess = self._sessions.pop(session)
        for handle, key in sess.keys.items():
            key[:] = bytes(len(key))
            self._key_owner.pop(handle, None)
        sess.keys.clear()
        sess.rights.clear()
        sess.hash = None
        sess.api = None

    def _session(self, session: int) -> _Session:
        sess = self._sessions.get(session)
        if sess is None:
            raise SdfError(SDR_INARGERR, "not an open session handle")
        return sess

    def device_info(self, session: int) -> dict:
        self._session(session)
        vsm = self._backend.vsm_id
        serial = "".join(ch for ch in vsm.upper() if ch.isalnum())[-16:].rjust(16, "0")
        return {
            "IssuerName": b"Guardzone",
            "DeviceName": b"Guardzone VSM",
            "DeviceSerial": serial.encode(),
            "DeviceVersion": 0x00010000,
            "StandardVersion": 0x00000001,
            "AsymAlgAbility": (SGD_SM2_1 | SGD_SM2_3, 256),
            "SymAlgAbility": SGD_SM4_ECB | SGD_SM4_CBC | SGD_SM4_MAC,
            "HashAlgAbility": SGD_SM3 | SGD_SHA256,
            "BufferSize": 0,
        }

    # random
    def generate_random(self, session: int, length: int) -> bytes:
        sess = self._session(session)
        if length == 0:
            return b""
        out = []
        remaining = length
        while remaining:
            n = min(remaining, MAX_RANDOM)
            out.append(self._b64(self._kms(sess, "GenerateRandom", {"NumberOfBytes": n}, SDR_RANDERR)["Plaintext"],
                                 SDR_RANDERR))
            remaining -= n
        data = b"".join(out)
        if len(data) != length:
            raise SdfError(SDR_RANDERR, "short random answer")
        return data

    # private key access
    def get_access_right(self, session: int, index: int, password: bytes) -> None:
        """The password unlocks a credential (the config's PIN: docs/cloudhsm.md); that credential must
        see a key of the index in the VSM. The session then uses it for every call."""
        sess = self._session(session)
        if not password:
            raise SdfError(SDR_INARGERR, "empty password")
        if index < 1:
            raise SdfError(SDR_KEYNOTEXIST, "key indexes start at 1")
        api = self._backend.unlock(password)            # SdfError(SDR_PRKRERR) when wrong
        trial = _Session(sess.device, api=api)
        try:
            found = [self._key_id(trial, kind, index, missing_ok=True) for kind in ("sign", "enc")]
        except SdfError as exc:
            if exc.code == SDR_PARDENY:                 # the API refused the credential
                raise SdfError(SDR_PRKRERR, "the password does not unlock a valid credential") from None
            raise
        if not any(found):
            raise SdfError(SDR_KEYNOTEXIST, f"no SM2 key of index {index} in the VSM")
        with self._lock:
            sess.api = api
            sess.rights.add(index)

    def release_access_right(self, session: int, index: int) -> None:
        sess = self._session(session)
        with self._lock:
            if index not in sess.rights:
                raise SdfError(SDR_INARGERR, f"no access right held for index {index}")
            sess.rights.discard(index)

    def _require_right(self, sess: _Session, index: int) -> None:
        if index not in sess.rights:
            raise SdfError(SDR_PARDENY, f"no private key access right for index {index}")

    # internal keys
    def _key_id(self, sess: _Session, kind: str, index: int, missing_ok: bool = False) -> str | None:
        if index < 1:
            raise SdfError(SDR_KEYNOTEXIST, "key indexes start at 1")
        cache = (id(self._api_of(sess)), kind, index)
        hit = self._lookups.get(cache)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        alias = ALIAS[kind].format(index)
        answer = self._kms(sess, "ListKeyDetail", {
            "Offset": 0, "Limit": 100, "SearchKeyAlias": alias, "KeyUsage": "ALL", "KeyState": 0,
            "HsmClusterId": self._backend.vsm_id}, SDR_KEYNOTEXIST)
        found = [k for k in answer.get("KeyMetadatas") or [] if k.get("Alias") == alias]
        if not found or found[0].get("KeyUsage") != USAGE[kind]:
            if missing_ok:
                return None
            raise SdfError(SDR_KEYNOTEXIST, f"no key {alias} in the VSM")
        meta = found[0]
        if meta.get("KeyState") != "Enabled":
            raise SdfError(SDR_KEYERR, f"key {alias} is {meta.get('KeyState')}")
        self._lookups[cache] = (time.monotonic() + KEY_CACHE_SECONDS, meta["KeyId"], None)
        return meta["KeyId"]

    def _public(self, sess: _Session, kind: str, index: int) -> tuple[str, sm2.SM2PublicKey]:
        key_id = self._key_id(sess, kind, index)
        cache = (id(self._api_of(sess)), kind, index)
        hit = self._lookups.get(cache)
        if hit and hit[2] is not None and hit[1] == key_id:
            return key_id, hit[2]
        answer = self._kms(sess, "GetPublicKey", {"KeyId": key_id}, SDR_PKOPERR)
        try:
            public = sm2.SM2PublicKey.from_der(self._b64(answer["PublicKey"], SDR_PKOPERR))
        except CryptoError:
            raise SdfError(SDR_KEYTYPEERR, "not an SM2 public key") from None
        self._lookups[cache] = (hit[0] if hit else time.monotonic() + KEY_CACHE_SECONDS, key_id, public)
        return key_id, public

    def export_public_key(self, session: int, kind: str, index: int) -> sm2.SM2PublicKey:
        sess = self._session(session)
        return self._public(sess, kind, index)[1]

    def generate_key_pair(self, session: int, alg: int, bits: int) -> tuple[sm2.SM2PublicKey, bytes]:
        self._session(session)
        if alg not in (SGD_SM2, SGD_SM2_1, SGD_SM2_2, SGD_SM2_3):
            raise SdfError(SDR_ALGNOTSUPPORT, "only SM2 key pairs")
        if bits != 256:
            raise SdfError(SDR_INARGERR, "SM2 keys are 256 bits")
        private = sm2.SM2PrivateKey.generate()
        return private.public_key, private.to_bytes()

    # signatures (the input is the 32-byte e = SM3(Z || M), as SDF_HashFinal gives it)
    def internal_sign(self, session: int, index: int, digest: bytes) -> bytes:
        sess = self._session(session)
        self._check_digest(digest)
        key_id = self._key_id(sess, "sign", index)
        self._require_right(sess, index)
        answer = self._kms(sess, "SignByAsymmetricKey", {
            "KeyId": key_id, "Algorithm": "SM2DSA", "MessageType": "DIGEST",
            "Message": base64.b64encode(digest).decode()}, SDR_SIGNERR)
        try:
            return sm2.signature_from_der(self._b64(answer["Signature"], SDR_SIGNERR))
        except CryptoError:
            raise SdfError(SDR_SIGNERR, "unreadable signature") from None

    def internal_verify(self, session: int, index: int, digest: bytes, signature: bytes) -> None:
        sess = self._session(session)
        self._check_digest(digest)
        self._verify(self._public(sess, "sign", index)[1], digest, signature)

    def external_verify(self, session: int, alg: int, public: sm2.SM2PublicKey, digest: bytes,
                        signature: bytes) -> None:
        self._session(session)
        if alg not in (SGD_SM2_1, SGD_SM2):
            raise SdfError(SDR_ALGNOTSUPPORT, "SGD_SM2_1 only")
        self._check_digest(digest)
        self._verify(public, digest, signature)

    @staticmethod
    def _check_digest(digest: bytes) -> None:
        if len(digest) != 32:
            raise SdfError(SDR_INARGERR, "the data to sign is the 32-byte SM3 digest e")

    @staticmethod
    def _verify(public: sm2.SM2PublicKey, digest: bytes, signature: bytes) -> None:
        try:
            public.verify_digest(signature, digest)
        except (InvalidSignature, CryptoError):
            raise SdfError(SDR_VERIFYERR, "signature does not verify") from None

    # SM2 encryption
    def external_encrypt(self, session: int, alg: int, public: sm2.SM2PublicKey, data: bytes) -> bytes:
        self._session(session)
        self._check_enc(alg, data)
        return public.encrypt(data)

    def internal_encrypt(self, session: int, index: int, alg: int, data: bytes) -> bytes:
        sess = self._session(session)
        self._check_enc(alg, data)
        return self._public(sess, "enc", index)[1].encrypt(data)

    def internal_decrypt(self, session: int, index: int, alg: int, c1c3c2: bytes) -> bytes:
        sess = self._session(session)
        if alg not in (SGD_SM2_3, SGD_SM2):
            raise SdfError(SDR_ALGNOTSUPPORT, "SGD_SM2_3 only")
        return self._sm2_decrypt(sess, index, c1c3c2)

    @staticmethod
    def _check_enc(alg: int, data: bytes) -> None:
        if alg not in (SGD_SM2_3, SGD_SM2):
            raise SdfError(SDR_ALGNOTSUPPORT, "SGD_SM2_3 only")
        if not 0 < len(data) <= MAX_SM2_PLAINTEXT:
            raise SdfError(SDR_INARGERR, f"1-{MAX_SM2_PLAINTEXT} bytes")

    def _sm2_decrypt(self, sess: _Session, index: int, c1c3c2: bytes) -> bytes:
        key_id = self._key_id(sess, "enc", index)
        self._require_right(sess, index)
        if len(c1c3c2) > 256:
            raise SdfError(SDR_ENCDATAERR, "ciphertext too long")
        answer = self._kms(sess, "AsymmetricSm2Decrypt", {
            "KeyId": key_id, "Ciphertext": base64.b64encode(c1c3c2).decode()}, SDR_SKOPERR)
        return self._b64(answer["Plaintext"], SDR_SKOPERR)

    # session keys
    def _new_key(self, session: int, material: bytes) -> int:
        with self._lock:
            sess = self._session(session)
            handle = next(self._ids)
            sess.keys[handle] = bytearray(material)
            self._key_owner[handle] = session
            return handle

    def _check_bits(self, bits: int) -> None:
        if bits != 8 * SESSION_KEY_BYTES:
            raise SdfError(SDR_INARGERR, "session keys are 128-bit SM4 keys")

    def generate_key_with_ipk(self, session: int, index: int, bits: int) -> tuple[bytes, int]:
        sess = self._session(session)
        self._check_bits(bits)
        public = self._public(sess, "enc", index)[1]
        material = self.generate_random(session, SESSION_KEY_BYTES)
        wrapped = public.encrypt(material)
        return wrapped, self._new_key(session, material)

    def generate_key_with_epk(self, session: int, bits: int, alg: int, public: sm2.SM2PublicKey) -> tuple[bytes, int]:
        self._session(session)
        self._check_bits(bits)
        if alg not in (SGD_SM2_3, SGD_SM2):
            raise SdfError(SDR_ALGNOTSUPPORT, "SGD_SM2_3 only")
        material = self.generate_random(session, SESSION_KEY_BYTES)
        return public.encrypt(material), self._new_key(session, material)

    def import_key_with_isk(self, session: int, index: int, c1c3c2: bytes) -> int:
        sess = self._session(session)
        material = self._sm2_decrypt(sess, index, c1c3c2)
        if len(material) != SESSION_KEY_BYTES:
            raise SdfError(SDR_KEYERR, "the wrapped key is not a 128-bit SM4 key")
        return self._new_key(session, material)

    @staticmethod
    def _check_kek_alg(alg: int) -> None:
        if alg not in (SGD_SM4_ECB, SGD_SM4_CBC):
            raise SdfError(SDR_ALGNOTSUPPORT, "the KEK algorithm is SM4 (SGD_SM4_ECB or SGD_SM4_CBC)")

    def generate_key_with_kek(self, session: int, bits: int, alg: int, index: int) -> tuple[bytes, int]:
        sess = self._session(session)
        self._check_bits(bits)
        self._check_kek_alg(alg)
        key_id = self._key_id(sess, "kek", index)
        answer = self._kms(sess, "GenerateDataKey", {"KeyId": key_id, "NumberOfBytes": SESSION_KEY_BYTES}, SDR_SYMOPERR)
        material = self._b64(answer["Plaintext"], SDR_SYMOPERR)
        blob = self._b64(answer["CiphertextBlob"], SDR_SYMOPERR)
        if len(material) != SESSION_KEY_BYTES:
            raise SdfError(SDR_SYMOPERR, "short data key")
        return blob, self._new_key(session, material)

    def import_key_with_kek(self, session: int, alg: int, index: int, blob: bytes) -> int:
        sess = self._session(session)
        self._check_kek_alg(alg)
        key_id = self._key_id(sess, "kek", index)
        if not blob:
            raise SdfError(SDR_INARGERR, "empty wrapped key")
        blob_key = blob[4:40].decode("ascii", "replace") if blob[:2] == b"GZ" else ""
        if blob_key != key_id:
            raise SdfError(SDR_KEYERR, "the key was not wrapped under this KEK")
        answer = self._kms(sess, "Decrypt", {"CiphertextBlob": base64.b64encode(blob).decode()}, SDR_SYMOPERR)
        material = self._b64(answer["Plaintext"], SDR_SYMOPERR)
        if len(material) != SESSION_KEY_BYTES:
            raise SdfError(SDR_KEYERR, "the wrapped key is not a 128-bit SM4 key")
        return self._new_key(session, material)

    def destroy_key(self, session: int, handle: int) -> None:
        with self._lock:
            sess = self._session(session)
            key = sess.keys.pop(handle, None)
            if key is None:
                raise SdfError(SDR_KEYNOTEXIST, "not a key handle of this session")
            key[:] = bytes(len(key))
            self._key_owner.pop(handle, None)

    def _session_key(self, session: int, handle: int) -> bytes:
        sess = self._session(session)
        key = sess.keys.get(handle)
        if key is None:
            raise SdfError(SDR_KEYNOTEXIST, "not a key handle of this session")
        return bytes(key)

    # symmetric
    def crypt(self, session: int, handle: int, alg: int, iv: bytes | None, data: bytes,
              encrypt: bool) -> tuple[bytes, bytes | None]:
        """SM4 ECB/CBC without padding; returns (output, next IV for CBC)."""
        key = self._session_key(session, handle)
        if alg not in (SGD_SM4_ECB, SGD_SM4_CBC):
            raise SdfError(SDR_ALGNOTSUPPORT, "SGD_SM4_ECB or SGD_SM4_CBC")
        if not data or len(data) % 16:
            raise SdfError(SDR_INARGERR, "the data length must be a positive multiple of 16")
        mode = "ECB" if alg == SGD_SM4_ECB else "CBC"
        if mode == "CBC" and (iv is None or len(iv) != 16):
            raise SdfError(SDR_INARGERR, "SGD_SM4_CBC needs a 16-byte IV")
        try:
            fn = symmetric.encrypt if encrypt else symmetric.decrypt
            out = fn("SM4", mode, key, data, iv=iv if mode == "CBC" else None, padding=False)
        except CryptoError:
            raise SdfError(SDR_SYMOPERR, "SM4 failed") from None
        next_iv = (out if encrypt else data)[-16:] if mode == "CBC" else None
        return out, next_iv

    def mac(self, session: int, handle: int, alg: int, iv: bytes | None, data: bytes) -> bytes:
        """SGD_SM4_MAC: the last block of SM4-CBC over the data (a multiple of 16 bytes), IV default 0."""
        key = self._session_key(session, handle)
        if alg != SGD_SM4_MAC:
            raise SdfError(SDR_ALGNOTSUPPORT, "SGD_SM4_MAC only")
        if not data or len(data) % 16:
            raise SdfError(SDR_INARGERR, "the data length must be a positive multiple of 16")
        try:
            out = symmetric.encrypt("SM4", "CBC", key, data, iv=iv or bytes(16), padding=False)
        except CryptoError:
            raise SdfError(SDR_MACERR, "SM4 failed") from None
        return out[-16:]

    # hash (local)
    def hash_init(self, session: int, alg: int, public: sm2.SM2PublicKey | None, uid: bytes | None) -> None:
        sess = self._session(session)
        if alg == SGD_SM3:
            ctx = sm3.new()
            if public is not None and uid:
                ctx.update(public.z_value(uid))
        elif alg == SGD_SHA256:
            if public is not None and uid:
                raise SdfError(SDR_INARGERR, "a public key and ID only go with SGD_SM3")
            from cryptography.hazmat.primitives import hashes
            ctx = hashes.Hash(hashes.SHA256())
        else:
            raise SdfError(SDR_ALGNOTSUPPORT, "SGD_SM3 or SGD_SHA256")
        sess.hash = ctx

    def hash_update(self, session: int, data: bytes) -> None:
        sess = self._session(session)
        if sess.hash is None:
            raise SdfError(SDR_STEPERR, "SDF_HashInit first")
        sess.hash.update(data)

    def hash_final(self, session: int) -> bytes:
        sess = self._session(session)
        if sess.hash is None:
            raise SdfError(SDR_STEPERR, "SDF_HashInit first")
        ctx, sess.hash = sess.hash, None
        return ctx.finalize()

    # backend
    def _api_of(self, sess: _Session):
        api = sess.api or self._backend.api
        if api is None:
            raise SdfError(SDR_PARDENY, "the configuration needs the password: SDF_GetPrivateKeyAccessRight first")
        return api

    def _kms(self, sess: _Session, action: str, params: dict, default: int) -> dict:
        api = self._api_of(sess)
        try:
            return self._backend.kms(api, action, params)
        except BackendError as exc:
            if exc.code == "ResourceUnavailable.CmkNotFound":
                self._lookups.clear()
            raise _map_backend(exc, default) from None

    @staticmethod
    def _b64(value, code: int) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except Exception:
            raise SdfError(code, "malformed answer") from None


# -- the C ABI --------------------------------------------------------------------------------------

FUNCTIONS = (
    "SDF_OpenDevice", "SDF_CloseDevice", "SDF_OpenSession", "SDF_CloseSession", "SDF_GetDeviceInfo",
    "SDF_GenerateRandom", "SDF_GetPrivateKeyAccessRight", "SDF_ReleasePrivateKeyAccessRight",
    "SDF_ExportSignPublicKey_ECC", "SDF_ExportEncPublicKey_ECC", "SDF_GenerateKeyPair_ECC",
    "SDF_GenerateKeyWithIPK_ECC", "SDF_GenerateKeyWithEPK_ECC", "SDF_ImportKeyWithISK_ECC",
    "SDF_GenerateKeyWithKEK", "SDF_ImportKeyWithKEK", "SDF_DestroyKey",
    "SDF_ExternalVerify_ECC", "SDF_InternalSign_ECC", "SDF_InternalVerify_ECC",
    "SDF_ExternalEncrypt_ECC", "SDF_InternalEncrypt_ECC", "SDF_InternalDecrypt_ECC",
    "SDF_Encrypt", "SDF_Decrypt", "SDF_CalculateMAC", "SDF_HashInit", "SDF_HashUpdate", "SDF_HashFinal",
)


def install(ffi, sdf: Sdf, log=None, debug=None) -> None:
    """Define every function of sdf_api.h on ``ffi`` (the embedding FFI) over ``sdf``. ``log`` gets
    unexpected failures, ``debug`` every SDR_* failure with its reason (never key material)."""

    def guarded(fn):
        def wrapper(*args):
            try:
                fn(*args)
                return SDR_OK
            except SdfError as exc:
                if debug is not None:
                    try:
                        debug(f"{fn.__name__}: {exc}")
                    except Exception:
                        pass
                return exc.code
            except BaseException as exc:              # never let an exception cross into C
                if log is not None:
                    try:
                        log(f"{fn.__name__}: {type(exc).__name__}: {exc}")
                    except Exception:
                        pass
                return SDR_UNKNOWERR
        wrapper.__name__ = fn.__name__
        ffi.def_extern(name=fn.__name__, error=SDR_UNKNOWERR)(wrapper)
        return wrapper

    def handle(ptr) -> int:
        return int(ffi.cast("uintptr_t", ptr))

    def out_handle(pptr, value: int) -> None:
        pptr[0] = ffi.cast("void *", value)

    def need(*ptrs):
        for p in ptrs:
            if p == ffi.NULL:
                raise SdfError(SDR_INARGERR, "NULL pointer argument")

    def read(ptr, length: int) -> bytes:
        if length == 0:
            return b""
        need(ptr)
        return ffi.buffer(ffi.cast("unsigned char *", ptr), length)[:]

    def write(ptr, data: bytes) -> None:
        if data:
            ffi.memmove(ffi.cast("unsigned char *", ptr), data, len(data))

    def read_public(ref):
        need(ref)
        return public_from_ref(ref.bits, ffi.buffer(ref.x)[:], ffi.buffer(ref.y)[:])

    def write_public(ref, public):
        bits, x, y = public_to_ref(public)
        ref.bits = bits
        write(ref.x, x)
        write(ref.y, y)

    def read_signature(ref) -> bytes:
        need(ref)
        return _unpad64(ffi.buffer(ref.r)[:]) + _unpad64(ffi.buffer(ref.s)[:])

    def write_signature(ref, raw: bytes) -> None:
        write(ref.r, _pad64(raw[:32]))
        write(ref.s, _pad64(raw[32:]))

    def read_cipher(ref) -> bytes:
        need(ref)
        length = ref.L
        if not 0 < length <= 256:
            raise SdfError(SDR_ENCDATAERR, "ECCCipher.L out of range")
        return cipher_from_ref(ffi.buffer(ref.x)[:], ffi.buffer(ref.y)[:], ffi.buffer(ref.M)[:],
                               read(ref.C, length))

    def write_cipher(ref, c1c3c2: bytes) -> None:
        x, y, m, c = cipher_to_ref(c1c3c2)
        write(ref.x, x)
        write(ref.y, y)
        write(ref.M, m)
        ref.L = len(c)
        write(ref.C, c)

    @guarded
    def SDF_OpenDevice(ph):
        need(ph)
        out_handle(ph, sdf.open_device())

    @guarded
    def SDF_CloseDevice(h):
        sdf.close_device(handle(h))

    @guarded
    def SDF_OpenSession(h, ph):
        need(ph)
        out_handle(ph, sdf.open_session(handle(h)))

    @guarded
    def SDF_CloseSession(h):
        sdf.close_session(handle(h))

    @guarded
    def SDF_GetDeviceInfo(h, info):
        need(info)
        d = sdf.device_info(handle(h))
        for name in ("IssuerName", "DeviceName", "DeviceSerial"):
            size = len(ffi.buffer(getattr(info, name)))
            write(getattr(info, name), d[name][:size].ljust(size, b"\x00"))
        info.DeviceVersion = d["DeviceVersion"]
        info.StandardVersion = d["StandardVersion"]
        info.AsymAlgAbility[0], info.AsymAlgAbility[1] = d["AsymAlgAbility"]
        info.SymAlgAbility = d["SymAlgAbility"]
        info.HashAlgAbility = d["HashAlgAbility"]
        info.BufferSize = d["BufferSize"]

    @guarded
    def SDF_GenerateRandom(h, length, out):
        if length:
            need(out)
        write(out, sdf.generate_random(handle(h), length))

    @guarded
    def SDF_GetPrivateKeyAccessRight(h, index, pwd, pwd_len):
        sdf.get_access_right(handle(h), index, read(pwd, pwd_len))

    @guarded
    def SDF_ReleasePrivateKeyAccessRight(h, index):
        sdf.release_access_right(handle(h), index)

    @guarded
    def SDF_ExportSignPublicKey_ECC(h, index, ref):
        need(ref)
        write_public(ref, sdf.export_public_key(handle(h), "sign", index))

    @guarded
    def SDF_ExportEncPublicKey_ECC(h, index, ref):
        need(ref)
        write_public(ref, sdf.export_public_key(handle(h), "enc", index))

    @guarded
    def SDF_GenerateKeyPair_ECC(h, alg, bits, pub, priv):
        need(pub, priv)
        public, private = sdf.generate_key_pair(handle(h), alg, bits)
        write_public(pub, public)
        priv.bits = 256
        write(priv.K, _pad64(private))

    @guarded
    def SDF_GenerateKeyWithIPK_ECC(h, index, bits, cipher, ph):
        need(cipher, ph)
        wrapped, key = sdf.generate_key_with_ipk(handle(h), index, bits)
        write_cipher(cipher, wrapped)
        out_handle(ph, key)

    @guarded
    def SDF_GenerateKeyWithEPK_ECC(h, bits, alg, pub, cipher, ph):
        need(cipher, ph)
        wrapped, key = sdf.generate_key_with_epk(handle(h), bits, alg, read_public(pub))
        write_cipher(cipher, wrapped)
        out_handle(ph, key)

    @guarded
    def SDF_ImportKeyWithISK_ECC(h, index, cipher, ph):
        need(ph)
        out_handle(ph, sdf.import_key_with_isk(handle(h), index, read_cipher(cipher)))

    @guarded
    def SDF_GenerateKeyWithKEK(h, bits, alg, index, out, out_len, ph):
        need(out, out_len, ph)
        blob, key = sdf.generate_key_with_kek(handle(h), bits, alg, index)
        write(out, blob)
        out_len[0] = len(blob)
        out_handle(ph, key)

    @guarded
    def SDF_ImportKeyWithKEK(h, alg, index, blob, blob_len, ph):
        need(ph)
        out_handle(ph, sdf.import_key_with_kek(handle(h), alg, index, read(blob, blob_len)))

    @guarded
    def SDF_DestroyKey(h, key):
        sdf.destroy_key(handle(h), handle(key))

    @guarded
    def SDF_ExternalVerify_ECC(h, alg, pub, data, length, sig):
        sdf.external_verify(handle(h), alg, read_public(pub), read(data, length), read_signature(sig))

    @guarded
    def SDF_InternalSign_ECC(h, index, data, length, sig):
        need(sig)
        write_signature(sig, sdf.internal_sign(handle(h), index, read(data, length)))

    @guarded
    def SDF_InternalVerify_ECC(h, index, data, length, sig):
        sdf.internal_verify(handle(h), index, read(data, length), read_signature(sig))

    @guarded
    def SDF_ExternalEncrypt_ECC(h, alg, pub, data, length, cipher):
        need(cipher)
        write_cipher(cipher, sdf.external_encrypt(handle(h), alg, read_public(pub), read(data, length)))

    @guarded
    def SDF_InternalEncrypt_ECC(h, index, alg, data, length, cipher):
        need(cipher)
        write_cipher(cipher, sdf.internal_encrypt(handle(h), index, alg, read(data, length)))

    @guarded
    def SDF_InternalDecrypt_ECC(h, index, alg, cipher, out, out_len):
        need(out, out_len)
        plain = sdf.internal_decrypt(handle(h), index, alg, read_cipher(cipher))
        write(out, plain)
        out_len[0] = len(plain)

    def crypt(h, key, alg, iv, data, length, out, out_len, encrypt):
        need(out, out_len)
        iv_in = read(iv, 16) if alg == SGD_SM4_CBC and iv != ffi.NULL else None
        result, next_iv = sdf.crypt(handle(h), handle(key), alg, iv_in, read(data, length), encrypt)
        write(out, result)
        out_len[0] = len(result)
        if next_iv is not None:
            write(iv, next_iv)

    @guarded
    def SDF_Encrypt(h, key, alg, iv, data, length, out, out_len):
        crypt(h, key, alg, iv, data, length, out, out_len, True)

    @guarded
    def SDF_Decrypt(h, key, alg, iv, data, length, out, out_len):
        crypt(h, key, alg, iv, data, length, out, out_len, False)

    @guarded
    def SDF_CalculateMAC(h, key, alg, iv, data, length, out, out_len):
        need(out, out_len)
        mac = sdf.mac(handle(h), handle(key), alg, read(iv, 16) if iv != ffi.NULL else None, read(data, length))
        write(out, mac)
        out_len[0] = len(mac)

    @guarded
    def SDF_HashInit(h, alg, pub, uid, uid_len):
        public = read_public(pub) if pub != ffi.NULL else None
        sdf.hash_init(handle(h), alg, public, read(uid, uid_len) if uid != ffi.NULL else None)

    @guarded
    def SDF_HashUpdate(h, data, length):
        sdf.hash_update(handle(h), read(data, length))

    @guarded
    def SDF_HashFinal(h, out, out_len):
        need(out, out_len)
        digest = sdf.hash_final(handle(h))
        write(out, digest)
        out_len[0] = len(digest)


# -- the backend: the library's config file and API client ------------------------------------------

class ConfigBackend:
    """The SDF device of the config file (layers/hsm_native/config.py): its VSM is ``[sdf] vsm``, else
    the first of ``slots``, else the credential's only VSM in the region. Calls go through
    layers/hsm_native/client.py with the config's own credential (a tccli profile), or with the one
    the access-right password unlocks (the PIN rules of the config: the SecretKey itself, or the PIN
    that opens ``sealed_secret_key``)."""

    def __init__(self):
        from layers.hsm_native import client, config
        self._config, self._client = config, client
        self.cfg = config.load()
        self._clients: dict = {}
        try:
            self.api = self._client_for(self.cfg.credential(None))
        except config.PinRequired:
            self.api = None
        self.vsm_id = self._choose_vsm()

    def _client_for(self, cred):
        import hashlib
        tag = hashlib.sha256("\0".join(cred).encode()).digest()
        if tag not in self._clients:
            self._clients[tag] = self._client.Client(self.cfg, cred)
        return self._clients[tag]

    def _choose_vsm(self) -> str:
        wanted = self.cfg.section("sdf").get("vsm", "").strip() or (self.cfg.slots or [""])[0]
        if self.api is None:
            if not wanted:
                raise SdfError(SDR_OPENDEVICE, "name the VSM: [sdf] vsm = hsm-... (or slots) in the config")
            return wanted
        try:
            ids = [v.get("ResourceId") for v in self.api.vsms()]
        except self._client.ApiError as exc:
            raise _map_backend(self._backend_error(exc), SDR_OPENDEVICE) from None
        if wanted and wanted not in ids:
            raise SdfError(SDR_OPENDEVICE, f"VSM {wanted} is not one of the credential's VSMs in the region")
        if not wanted:
            if len(ids) != 1:
                raise SdfError(SDR_OPENDEVICE, "the credential has several VSMs (or none): set [sdf] vsm")
            wanted = ids[0]
        return wanted

    def unlock(self, password: bytes):
        try:
            pin = password.decode("utf-8")
        except UnicodeDecodeError:
            raise SdfError(SDR_PRKRERR, "the password is not UTF-8") from None
        try:
            cred = self.cfg.credential(pin)
        except (self._config.PinIncorrect, self._config.ConfigError) as exc:
            raise SdfError(SDR_PRKRERR, str(exc)) from None
        return self._client_for(cred)

    def _backend_error(self, exc) -> BackendError:
        if isinstance(exc, self._client.Unreachable):
            return BackendError(None, f"{self.cfg.endpoint}: {exc.message}")
        return BackendError(exc.code, exc.message)

    def kms(self, api, action: str, params: dict) -> dict:
        try:
            return api.call("kms", action, params)
        except self._client.ApiError as exc:
            raise self._backend_error(exc) from None


def _install_native() -> None:
    try:
        from layers.hsm_native.native import ffi
    except ImportError:                  # imported outside the built library
        return
    import logging
    logger = logging.getLogger("guardzone.hsm_native.sdf")
    install(ffi, Sdf(ConfigBackend), log=logger.warning, debug=logger.debug)


_install_native()
