"""PKCS#11 state of the library, independent of the C ABI: slots (the VSMs), sessions, login, and the
token objects (the KMS keys of the VSM's key domain). pkcs11.py marshals C arguments to this.

- Slots: the VSMs of the credential in the configured region (DescribeVsms), narrowed to the config's
  `slots` list if it has one. Before any login, and without a tccli profile, the library has no
  credential: it then offers the configured `slots` unverified (none if the list is empty). Once it has
  a credential every C_GetSlotList asks again, so a terminated VSM's slot disappears (its sessions then
  answer CKR_DEVICE_REMOVED).
- Objects: each KMS key with HsmClusterId = the VSM (Enabled, Disabled or Archived) is one secret key
  (SM4, ENCRYPT_DECRYPT; AES, ENCRYPT_DECRYPT_AES_256 / _128) or a private + public key pair (same
  CKA_ID). CKA_LABEL is the key's alias;
  CKA_ID the id given at generation (kept in the key's Description as `pkcs11 id=<hex>`), else the
  KeyId's ASCII bytes. Handles are stable for the life of the process.
"""
import base64
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from layers.hsm_native import client as api_client
from layers.hsm_native import config as cfg_mod
from layers.hsm_native.p11_const import *  # noqa: F401,F403

SLOT_CACHE_SECONDS = 2.0
SESSION_KEY_DELETE_DAYS = 7


class CkError(Exception):
    def __init__(self, rv: int, why: str = "") -> None:
        super().__init__(f"CKR 0x{rv:x} {why}")
        self.rv = rv


API_RV = {
    "ResourceUnavailable.CmkNotFound": CKR_KEY_HANDLE_INVALID,
    "ResourceUnavailable.CmkDisabled": CKR_KEY_FUNCTION_NOT_PERMITTED,
    "ResourceUnavailable.CmkArchived": CKR_KEY_FUNCTION_NOT_PERMITTED,
    "ResourceUnavailable.CmkStateNotSupport": CKR_KEY_FUNCTION_NOT_PERMITTED,
    "InvalidParameterValue.InvalidKeyUsage": CKR_KEY_FUNCTION_NOT_PERMITTED,
    "InvalidParameterValue.InvalidCiphertext": CKR_ENCRYPTED_DATA_INVALID,
    "FailedOperation.DecryptError": CKR_ENCRYPTED_DATA_INVALID,
    "InvalidParameterValue.InvalidPlaintext": CKR_DATA_LEN_RANGE,
    "InvalidParameterValue.InvalidHsmClusterId": CKR_DEVICE_REMOVED,
    "InvalidParameterValue.AliasAlreadyExists": CKR_ATTRIBUTE_VALUE_INVALID,
    "InvalidParameterValue.InvalidAlias": CKR_ATTRIBUTE_VALUE_INVALID,
    "LimitExceeded.CmkLimitExceeded": 0x31,   # CKR_DEVICE_MEMORY
    "UnauthorizedOperation": CKR_KEY_FUNCTION_NOT_PERMITTED,
}


def api_error_rv(exc: api_client.ApiError) -> int:
    if isinstance(exc, api_client.Unreachable):
        return CKR_DEVICE_ERROR
    if exc.code.startswith("AuthFailure"):
        return CKR_USER_NOT_LOGGED_IN
    return API_RV.get(exc.code, API_RV.get(exc.code.split(".")[0], CKR_FUNCTION_FAILED))


# ---- attribute encoding ----

def ck_bool(v: bool) -> bytes:
    return b"\x01" if v else b"\x00"


def ck_ulong(v: int) -> bytes:
    return int(v).to_bytes(8, "little")


def parse_ulong(b: bytes) -> int:
    return int.from_bytes(b[:8], "little")


def parse_bool(b: bytes) -> bool:
    return bool(b) and b[0] != 0


USAGES = {   # KMS KeyUsage -> (key type, purpose)
    "ENCRYPT_DECRYPT": (CKK_SM4, "secret"),
    "ENCRYPT_DECRYPT_AES_256": (CKK_AES, "secret"),
    "ENCRYPT_DECRYPT_AES_128": (CKK_AES, "secret"),
    "ASYMMETRIC_DECRYPT_SM2": (CKK_SM2, "decrypt"),
    "ASYMMETRIC_DECRYPT_RSA_2048": (CKK_RSA, "decrypt"),
    "ASYMMETRIC_SIGN_VERIFY_SM2": (CKK_SM2, "sign"),
    "ASYMMETRIC_SIGN_VERIFY_ECC": (CKK_EC, "sign"),
    "ASYMMETRIC_SIGN_VERIFY_RSA_2048": (CKK_RSA, "sign"),
}
LISTED_STATES = {"Enabled", "Disabled", "Archived"}
GEN_MECHANISM = {CKK_SM4: CKM_SM4_KEY_GEN, CKK_AES: CKM_AES_KEY_GEN, CKK_SM2: CKM_SM2_KEY_PAIR_GEN,
                 CKK_RSA: CKM_RSA_PKCS_KEY_PAIR_GEN,
                 CKK_EC: CKM_EC_KEY_PAIR_GEN}


@dataclass
class Key:
    """One KMS key of a VSM, as the token sees it."""
    key_id: str
    slot_resource: str
    usage: str
    alias: str
    state: str
    description: str = ""
    public: object = None          # ("rsa", RSAPublicKey) | ("ec", EllipticCurvePublicKey) | ("sm2", SM2PublicKey)
    session_handle: int = 0        # a session object's session (CKA_TOKEN false), else 0
    origin: str = ""               # EXTERNAL: imported or unwrapped material (the only kind C_WrapKey wraps)

    @property
    def key_type(self) -> int:
        return USAGES[self.usage][0]

    @property
    def purpose(self) -> str:
        return USAGES[self.usage][1]

    @property
    def ck_id(self) -> bytes:
        m = re.search(r"pkcs11 id=([0-9a-f]*)", self.description or "")
        return bytes.fromhex(m.group(1)) if m else self.key_id.encode()


@dataclass
class Obj:
    handle: int
    key: Key
    cls: int                       # CKO_SECRET_KEY, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY


@dataclass
class Slot:
    slot_id: int
    resource_id: str
    name: str = ""
    vsm_type: str = ""
    manufacturer: str = ""
    present: bool = True


@dataclass
class Session:
    handle: int
    slot_id: int
    flags: int
    find: Optional[List[int]] = None
    ops: Dict[str, object] = field(default_factory=dict)   # "sign", "verify", "encrypt", "decrypt", "digest"


class Module:
    """The library's whole state (one per process, guarded by one lock)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.initialized = False
        self.cfg: Optional[cfg_mod.Config] = None
        self.api: Optional[api_client.Client] = None
        self.slots: Dict[int, Slot] = {}
        self.slot_by_resource: Dict[str, int] = {}
        self.slots_read_at = 0.0
        self.sessions: Dict[int, Session] = {}
        self.logged_in: set = set()
        self.objects: Dict[int, Obj] = {}
        self.handle_of: Dict[Tuple[str, int], int] = {}
        self.keys: Dict[str, Key] = {}
        self._next_session = 1
        self._next_handle = 1

    # ---- library ----

    def initialize(self) -> None:
        if self.initialized:
            raise CkError(CKR_CRYPTOKI_ALREADY_INITIALIZED)
        try:
            cfg = cfg_mod.load()
        except cfg_mod.ConfigError as exc:
            raise CkError(CKR_GENERAL_ERROR, str(exc))
        self.reset()
        self.cfg, self.initialized = cfg, True
        if cfg.secret_without_pin:
            self.api = api_client.Client(cfg, cfg.credential(None))

    def finalize(self) -> None:
        self.need_init()
        for h in list(self.sessions):
            try:
                self.close_session(h)            # deletes the session objects
            except CkError:
                pass
        self.reset()

    def need_init(self) -> None:
        if not self.initialized:
            raise CkError(CKR_CRYPTOKI_NOT_INITIALIZED)

    def call(self, service: str, action: str, params: dict) -> dict:
        if self.api is None:
            raise CkError(CKR_USER_NOT_LOGGED_IN, "no credential: log in first")
        try:
            return self.api.call(service, action, params)
        except api_client.ApiError as exc:
            rv = api_error_rv(exc)
            if rv in (CKR_KEY_HANDLE_INVALID, CKR_DEVICE_REMOVED):
                self.slots_read_at = 0.0        # a key or VSM went away: read the slots again next time
            raise CkError(rv, f"{action}: {exc.code} {exc.message}")

    # ---- slots ----

    def refresh_slots(self, force: bool = False) -> None:
        self.need_init()
        if not force and time.monotonic() - self.slots_read_at < SLOT_CACHE_SECONDS:
            return
        wanted = self.cfg.slots
        if self.api is None:
            found = [{"ResourceId": r} for r in (wanted or [])]
        else:
            try:
                found = self.api.vsms()
            except api_client.ApiError as exc:
                raise CkError(api_error_rv(exc), f"DescribeVsms: {exc}")
            if wanted is not None:
                by_id = {v["ResourceId"]: v for v in found}
                found = [by_id[r] for r in wanted if r in by_id]
        present = set()
        for v in found:
            rid = v["ResourceId"]
            sid = self.slot_by_resource.get(rid)
            if sid is None:
                sid = self.slot_by_resource[rid] = len(self.slot_by_resource)
            kind = {1: "EVSM", 2: "GVSM", 3: "SVSM"}.get(int(v.get("VsmType") or 0) >> 4, "")
            self.slots[sid] = Slot(sid, rid, v.get("ResourceName") or "", kind,
                                   v.get("Manufacturer") or "")
            present.add(sid)
        for sid, slot in self.slots.items():
            slot.present = sid in present
        self.slots_read_at = time.monotonic()

    def slot_list(self) -> List[int]:
        self.refresh_slots()
        return sorted(s.slot_id for s in self.slots.values() if s.present)

    def slot(self, slot_id: int) -> Slot:
        self.need_init()
        self.refresh_slots()
        slot = self.slots.get(slot_id)
        if slot is None:
            raise CkError(CKR_SLOT_ID_INVALID)
        if not slot.present:
            raise CkError(CKR_TOKEN_NOT_PRESENT)
        return slot

    # ---- sessions ----

    def open_session(self, slot_id: int, flags: int) -> int:
        self.slot(slot_id)
        if not flags & CKF_SERIAL_SESSION:
            raise CkError(CKR_SESSION_PARALLEL_NOT_SUPPORTED)
        h = self._next_session
        self._next_session += 1
        self.sessions[h] = Session(h, slot_id, flags)
        return h

    def session(self, handle: int) -> Session:
        self.need_init()
        s = self.sessions.get(handle)
        if s is None:
            raise CkError(CKR_SESSION_HANDLE_INVALID)
        slot = self.slots.get(s.slot_id)
        if slot is not None and not slot.present:
            raise CkError(CKR_DEVICE_REMOVED)
        return s

    def close_session(self, handle: int) -> None:
        s = self.sessions.get(handle)
        if s is None:
            self.need_init()
            raise CkError(CKR_SESSION_HANDLE_INVALID)
        del self.sessions[handle]
        for key in [k for k in self.keys.values() if k.session_handle == handle]:
            self._delete_key(key)
        if not any(x.slot_id == s.slot_id for x in self.sessions.values()):
            self.logged_in.discard(s.slot_id)     # login ends with the token's last session

    def close_all(self, slot_id: int) -> None:
        self.need_init()
        for h in [h for h, s in self.sessions.items() if s.slot_id == slot_id]:
            self.close_session(h)

    def session_state(self, s: Session) -> int:
        rw = bool(s.flags & CKF_RW_SESSION)
        if s.slot_id in self.logged_in:
            return CKS_RW_USER_FUNCTIONS if rw else CKS_RO_USER_FUNCTIONS
        return CKS_RW_PUBLIC_SESSION if rw else CKS_RO_PUBLIC_SESSION

    def login(self, handle: int, user_type: int, pin: str) -> None:
        s = self.session(handle)
        if user_type not in (CKU_USER, CKU_SO, CKU_CONTEXT_SPECIFIC):
            raise CkError(CKR_USER_TYPE_INVALID)
        if user_type == CKU_SO:
            raise CkError(CKR_USER_TYPE_INVALID, "no security officer: the VSM is managed through the API")
        if s.slot_id in self.logged_in and user_type == CKU_USER:
            raise CkError(CKR_USER_ALREADY_LOGGED_IN)
        try:
            cred = self.cfg.credential(pin)
        except cfg_mod.PinIncorrect:
            raise CkError(CKR_PIN_INCORRECT)
        except cfg_mod.ConfigError as exc:
            raise CkError(CKR_GENERAL_ERROR, str(exc))
        api = api_client.Client(self.cfg, cred)
        try:
            vsms = api.vsms()
        except api_client.ApiError as exc:
            if exc.code.startswith("AuthFailure"):
                raise CkError(CKR_PIN_INCORRECT)
            raise CkError(api_error_rv(exc), str(exc))
        self.api = api
        self.refresh_slots(force=True)               # names, vendors; drops VSMs this credential has not
        if self.slots[s.slot_id].resource_id not in {v["ResourceId"] for v in vsms}:
            raise CkError(CKR_DEVICE_REMOVED, "no such VSM for this credential")
        self.logged_in.add(s.slot_id)

    def logout(self, handle: int) -> None:
        self.need_init()
        s = self.sessions.get(handle)            # also for a removed token's session
        if s is None:
            raise CkError(CKR_SESSION_HANDLE_INVALID)
        if s.slot_id not in self.logged_in:
            raise CkError(CKR_USER_NOT_LOGGED_IN)
        self.logged_in.discard(s.slot_id)
        if not self.logged_in and not self.cfg.secret_without_pin:
            self.api = None

    def need_login(self, s: Session) -> None:
        if s.slot_id not in self.logged_in:
            raise CkError(CKR_USER_NOT_LOGGED_IN)

    # ---- objects ----

    def _handle(self, key: Key, cls: int) -> int:
        h = self.handle_of.get((key.key_id, cls))
        if h is None:
            h = self.handle_of[(key.key_id, cls)] = self._next_handle
            self._next_handle += 1
        self.objects[h] = Obj(h, key, cls)
        return h

    def _remember(self, meta: dict, resource_id: str) -> Optional[Key]:
        if meta.get("KeyUsage") not in USAGES:
            return None
        key = self.keys.get(meta["KeyId"])
        if key is None:
            key = self.keys[meta["KeyId"]] = Key(meta["KeyId"], resource_id, meta["KeyUsage"], meta.get("Alias", ""),
                                                 meta.get("KeyState", ""), meta.get("Description", ""))
        else:
            key.alias, key.state, key.description = meta.get("Alias", ""), meta.get("KeyState", ""), meta.get("Description", "")
        key.origin = meta.get("Origin", "")
        return key

    def key_objects(self, key: Key) -> List[int]:
        if key.purpose == "secret":
            return [self._handle(key, CKO_SECRET_KEY)]
        return [self._handle(key, CKO_PRIVATE_KEY), self._handle(key, CKO_PUBLIC_KEY)]

    def list_objects(self, s: Session) -> List[int]:
        """Every object of the session's token (one ListKeyDetail pass; none without a credential)."""
        if self.api is None:
            return []
        slot = self.slots[s.slot_id]
        keys, offset = [], 0
        while True:
            page = self.call("kms", "ListKeyDetail", {"HsmClusterId": slot.resource_id, "KeyUsage": "ALL",
                                                      "Offset": offset, "Limit": 200, "OrderType": 1})
            keys += page.get("KeyMetadatas") or []
            offset += 200
            if offset >= page.get("TotalCount", 0):
                break
        seen = set()
        handles = []
        for meta in keys:
            if meta.get("KeyState") not in LISTED_STATES:
                continue
            key = self._remember(meta, slot.resource_id)
            if key is None:
                continue
            if key.description.endswith(" session") and key.session_handle not in self.sessions:
                continue            # another session's object (or one a crashed process left)
            seen.add(key.key_id)
            handles += self.key_objects(key)
        for h, o in list(self.objects.items()):       # keys gone from the VSM lose their handles
            if o.key.slot_resource == slot.resource_id and o.key.key_id not in seen:
                del self.objects[h]
        return handles

    def obj(self, s: Session, handle: int, key_error: bool = False) -> Obj:
        o = self.objects.get(handle)
        if o is None or o.key.slot_resource != self.slots[s.slot_id].resource_id:
            raise CkError(CKR_KEY_HANDLE_INVALID if key_error else CKR_OBJECT_HANDLE_INVALID)
        if o.cls != CKO_PUBLIC_KEY and s.slot_id not in self.logged_in:
            raise CkError(CKR_KEY_HANDLE_INVALID if key_error else CKR_OBJECT_HANDLE_INVALID)
        return o

    def public_key(self, key: Key):
        if key.public is None:
            from cryptography.hazmat.primitives.serialization import load_der_public_key
            der = base64.b64decode(self.call("kms", "GetPublicKey", {"KeyId": key.key_id})["PublicKey"])
            if key.key_type == CKK_SM2:
                from layers.crypto.sm2 import SM2PublicKey
                key.public = ("sm2", SM2PublicKey.from_der(der))
            else:
                key.public = ("rsa" if key.key_type == CKK_RSA else "ec", load_der_public_key(der))
        return key.public

    def attributes(self, o: Obj, with_public: bool = True) -> Dict[int, object]:
        """The object's attributes: bytes values, or CKR_ATTRIBUTE_SENSITIVE for what never leaves the VSM."""
        key = o.key
        sign = key.purpose == "sign"
        a = {CKA_CLASS: ck_ulong(o.cls), CKA_KEY_TYPE: ck_ulong(key.key_type), CKA_ID: key.ck_id,
             CKA_LABEL: key.alias.encode(), CKA_TOKEN: ck_bool(not key.session_handle),
             CKA_PRIVATE: ck_bool(o.cls != CKO_PUBLIC_KEY), CKA_MODIFIABLE: ck_bool(False),
             CKA_COPYABLE: ck_bool(False), CKA_DESTROYABLE: ck_bool(True), CKA_LOCAL: ck_bool(True),
             CKA_KEY_GEN_MECHANISM: ck_ulong(GEN_MECHANISM[key.key_type]), CKA_DERIVE: ck_bool(False),
             CKA_START_DATE: b"", CKA_END_DATE: b"", CKA_SUBJECT: b""}
        enabled = key.state == "Enabled"
        imported = key.origin == "EXTERNAL"          # its value was known outside the VSM once
        if o.cls == CKO_SECRET_KEY:
            aes = key.key_type == CKK_AES
            a.update({CKA_ENCRYPT: ck_bool(enabled), CKA_DECRYPT: ck_bool(True), CKA_SIGN: ck_bool(False),
                      CKA_VERIFY: ck_bool(False), CKA_WRAP: ck_bool(aes and enabled), CKA_UNWRAP: ck_bool(aes),
                      CKA_LOCAL: ck_bool(not imported),
                      CKA_VALUE_LEN: ck_ulong(32 if key.usage.endswith("_256") else 16),
                      CKA_VALUE: CKR_ATTRIBUTE_SENSITIVE})
        elif o.cls == CKO_PRIVATE_KEY:
            a.update({CKA_SIGN: ck_bool(sign and enabled), CKA_DECRYPT: ck_bool(not sign), CKA_UNWRAP: ck_bool(False),
                      CKA_SIGN_RECOVER: ck_bool(False), CKA_ALWAYS_AUTHENTICATE: ck_bool(False),
                      CKA_WRAP_WITH_TRUSTED: ck_bool(False), CKA_VALUE: CKR_ATTRIBUTE_SENSITIVE})
        else:
            a.update({CKA_VERIFY: ck_bool(sign), CKA_ENCRYPT: ck_bool(not sign), CKA_WRAP: ck_bool(False),
                      CKA_VERIFY_RECOVER: ck_bool(False), CKA_TRUSTED: ck_bool(False)})
        if o.cls != CKO_PUBLIC_KEY:
            a.update({CKA_SENSITIVE: ck_bool(True), CKA_EXTRACTABLE: ck_bool(imported),
                      CKA_ALWAYS_SENSITIVE: ck_bool(not imported), CKA_NEVER_EXTRACTABLE: ck_bool(not imported)})
        if with_public and o.cls != CKO_SECRET_KEY and key.state != "Disabled":
            a.update(self._public_attributes(key))
        return a

    def _public_attributes(self, key: Key) -> Dict[int, bytes]:
        from cryptography.hazmat.primitives import serialization as ser
        kind, pub = self.public_key(key)
        if kind == "rsa":
            n = pub.public_numbers()
            return {CKA_MODULUS: n.n.to_bytes(256, "big"), CKA_MODULUS_BITS: ck_ulong(pub.key_size),
                    CKA_PUBLIC_EXPONENT: n.e.to_bytes((n.e.bit_length() + 7) // 8, "big"),
                    CKA_PUBLIC_KEY_INFO: pub.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)}
        if kind == "ec":
            point = pub.public_bytes(ser.Encoding.X962, ser.PublicFormat.UncompressedPoint)
            params = P256_OID_DER
            spki = pub.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
        else:
            point, params, spki = pub.to_bytes(), SM2_OID_DER, pub.to_der()
        return {CKA_EC_PARAMS: params, CKA_EC_POINT: bytes([0x04, len(point)]) + point, CKA_PUBLIC_KEY_INFO: spki}

    # ---- generation and deletion ----

    def create_key(self, s: Session, usage: str, label: Optional[bytes], ck_id: Optional[bytes], token: bool,
                   via: Tuple[str, dict] = ("CreateKey", {})) -> Key:
        """A new key of the session's VSM: CreateKey, or `via` another action (UnwrapKey) and its parameters."""
        self.need_login(s)
        if token and not s.flags & CKF_RW_SESSION:
            raise CkError(CKR_SESSION_READ_ONLY)
        slot = self.slots[s.slot_id]
        if label:
            alias = label.decode("utf-8", "replace")
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,60}", alias) or alias.lower().startswith("kms-"):
                raise CkError(CKR_ATTRIBUTE_VALUE_INVALID, "CKA_LABEL: 1-60 letters, digits, _ or - (a KMS alias)")
        else:
            alias = "p11-" + secrets.token_hex(6)
        description = (f"pkcs11 id={ck_id.hex()}" if ck_id else "pkcs11") + ("" if token else " session")
        action, extra = via
        meta = self.call("kms", action, {"Alias": alias, "KeyUsage": usage, "HsmClusterId": slot.resource_id,
                                         "Description": description, **extra})
        key = self._remember({"KeyId": meta["KeyId"], "KeyUsage": usage, "Alias": alias, "KeyState": "Enabled",
                              "Description": description, "Origin": "EXTERNAL" if extra else "TENCENT_KMS"},
                             slot.resource_id)
        if not token:
            key.session_handle = s.handle
        return key

    def _delete_key(self, key: Key) -> None:
        """Disable and schedule for deletion (the shortest window, 7 days); its handles go now."""
        for action, params in (("DisableKey", {"KeyId": key.key_id}),
                               ("ScheduleKeyDeletion", {"KeyId": key.key_id, "PendingWindowInDays": SESSION_KEY_DELETE_DAYS})):
            try:
                self.call("kms", action, params)
            except CkError:
                if action == "DisableKey":
                    continue
                raise
        for h in [h for h, o in self.objects.items() if o.key is key]:
            del self.objects[h]
        self.keys.pop(key.key_id, None)

    def destroy(self, s: Session, handle: int) -> None:
        o = self.obj(s, handle)
        self.need_login(s)
        if not o.key.session_handle and not s.flags & CKF_RW_SESSION:
            raise CkError(CKR_SESSION_READ_ONLY)
        self._delete_key(o.key)

    def random(self, n: int) -> bytes:
        if self.api is None:
            import os
            return os.urandom(n)
        out = b""
        while len(out) < n:
            want = min(1024, n - len(out))
            out += base64.b64decode(self.call("kms", "GenerateRandom", {"NumberOfBytes": want})["Plaintext"])
        return out
