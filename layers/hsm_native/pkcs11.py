"""The PKCS#11 C functions of libguardzone-pkcs11.so (declared in pkcs11_api.h): C arguments in and
out, every failure a CKR_* code. The state lives in p11_token.Module, the mechanisms in p11_ops."""
import logging
import sys

from layers.hsm_native import p11_ops as ops
from layers.hsm_native.native import ffi
from layers.hsm_native.p11_const import *  # noqa: F401,F403
from layers.hsm_native.p11_token import CkError, Module

log = logging.getLogger("guardzone.hsm_native.pkcs11")
M = Module()
NULL = ffi.NULL
LIB_VERSION = (1, 0)
CKR_FUNCTION_NOT_PARALLEL = 0x51
CKR_ATTRIBUTE_READ_ONLY = 0x10
CKR_NO_EVENT = 0x8
PUBLIC_ATTRIBUTES = {CKA_MODULUS, CKA_MODULUS_BITS, CKA_PUBLIC_EXPONENT, CKA_EC_PARAMS, CKA_EC_POINT,
                     CKA_PUBLIC_KEY_INFO}


def export(fn):
    name = fn.__name__
    # Bound now: a host calling in while the interpreter shuts down (C_Finalize from atexit) may find
    # the module's globals already cleared.
    _CK_ERROR, _log, _OK, _FAILED, _finalizing = CkError, log, CKR_OK, CKR_FUNCTION_FAILED, sys.is_finalizing

    def run(*args):
        try:
            with M.lock:
                rv = fn(*args)
            return _OK if rv is None else rv
        except BaseException as exc:      # nothing may unwind into C
            if isinstance(exc, _CK_ERROR):
                _log.debug("%s: %s", name, exc)
                return exc.rv
            if _finalizing():             # C_Finalize from an atexit hook: the process is going away
                return _OK
            try:
                _log.exception("%s failed", name)
            except BaseException:
                pass
            return _FAILED
    run.__name__ = name
    ffi.def_extern(name=name)(run)
    return fn


def _pad(text: str, n: int) -> bytes:
    return text.encode("utf-8")[:n].ljust(n, b" ")


def _data(p, n) -> bytes:
    if n == 0:
        return b""
    if p == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    return ffi.buffer(p, n)[:]


def _put(data: bytes, p_out, p_len) -> bool:
    """Writes an output (PKCS#11 §5.2 conventions); True when the data was delivered."""
    if p_len == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    if p_out == NULL:
        p_len[0] = len(data)
        return False
    if p_len[0] < len(data):
        p_len[0] = len(data)
        raise CkError(CKR_BUFFER_TOO_SMALL)
    ffi.memmove(p_out, data, len(data))
    p_len[0] = len(data)
    return True


def _put_list(values: list, p_out, p_count) -> None:
    """Writes a list of numbers (slot ids, mechanisms) by the same conventions as _put."""
    if p_count == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    if p_out != NULL:
        if p_count[0] < len(values):
            p_count[0] = len(values)
            raise CkError(CKR_BUFFER_TOO_SMALL)
        for i, v in enumerate(values):
            p_out[i] = v
    p_count[0] = len(values)


def _template(p, n):
    if n and p == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    out = []
    for i in range(n):
        a = p[i]
        out.append((int(a.type), ffi.buffer(a.pValue, a.ulValueLen)[:] if a.pValue != NULL and a.ulValueLen else b""))
    return out


def _mechanism(p):
    if p == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    t, q, n = int(p.mechanism), p.pParameter, int(p.ulParameterLen)
    params = None
    if t == CKM_RSA_PKCS_OAEP:
        if q == NULL or n < ffi.sizeof("CK_RSA_PKCS_OAEP_PARAMS"):
            raise CkError(CKR_MECHANISM_PARAM_INVALID)
        o = ffi.cast("CK_RSA_PKCS_OAEP_PARAMS *", q)
        params = {"hashAlg": int(o.hashAlg), "mgf": int(o.mgf),
                  "sourceData": _data(o.pSourceData, o.ulSourceDataLen) if o.pSourceData != NULL else b""}
    elif t in (CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS) and q != NULL:
        if n < ffi.sizeof("CK_RSA_PKCS_PSS_PARAMS"):
            raise CkError(CKR_MECHANISM_PARAM_INVALID)
        o = ffi.cast("CK_RSA_PKCS_PSS_PARAMS *", q)
        params = {"hashAlg": int(o.hashAlg), "mgf": int(o.mgf), "sLen": int(o.sLen)}
    elif t == CKM_AES_GCM:
        params = _gcm_params(q, n)
    elif t in ops.RAW_MECHS:
        params = {"iv": _data(q, n)}            # CBC: the IV; key wrap: an alternative IV; ECB: none
    return t, params


def _gcm_params(q, n) -> dict:
    """CK_GCM_PARAMS in either layout: with ulIvBits (v2.40 errata, v3.0) or without (the v2.40 header)."""
    if q != NULL and n == ffi.sizeof("CK_GCM_PARAMS"):
        o = ffi.cast("CK_GCM_PARAMS *", q)
    elif q != NULL and n == ffi.sizeof("CK_GCM_PARAMS_V240"):
        o = ffi.cast("CK_GCM_PARAMS_V240 *", q)
    else:
        return {"bad": "AES-GCM needs CK_GCM_PARAMS"}
    if o.ulIvLen and o.pIv == NULL or o.ulAADLen and o.pAAD == NULL:
        return {"bad": "CK_GCM_PARAMS: a length without its pointer"}
    return {"iv": _data(o.pIv, o.ulIvLen), "aad": _data(o.pAAD, o.ulAADLen), "tag_bits": int(o.ulTagBits)}


# ---- general ----

@export
def C_Initialize(pInitArgs):
    if pInitArgs != NULL:
        args = ffi.cast("CK_C_INITIALIZE_ARGS *", pInitArgs)
        if args.pReserved != NULL:
            raise CkError(CKR_ARGUMENTS_BAD)
        given = [args.CreateMutex != NULL, args.DestroyMutex != NULL, args.LockMutex != NULL, args.UnlockMutex != NULL]
        if any(given) and not all(given):
            raise CkError(CKR_ARGUMENTS_BAD)
        # Python's own locks serve whatever the application asks for (CKF_OS_LOCKING_OK or its mutexes).
    M.initialize()


@export
def C_Finalize(pReserved):
    if pReserved != NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    M.finalize()


@export
def C_GetInfo(pInfo):
    M.need_init()
    if pInfo == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    pInfo.cryptokiVersion.major, pInfo.cryptokiVersion.minor = 2, 40
    pInfo.manufacturerID = _pad("Guardzone", 32)
    pInfo.flags = 0
    pInfo.libraryDescription = _pad("Guardzone CloudHSM VSM PKCS#11", 32)
    pInfo.libraryVersion.major, pInfo.libraryVersion.minor = LIB_VERSION


# ---- slots and tokens ----

@export
def C_GetSlotList(tokenPresent, pSlotList, pulCount):
    if pulCount == NULL:
        M.need_init()
        raise CkError(CKR_ARGUMENTS_BAD)
    _put_list(M.slot_list(), pSlotList, pulCount)


@export
def C_GetSlotInfo(slotID, pInfo):
    slot = M.slot(slotID)
    if pInfo == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    pInfo.slotDescription = _pad(f"Guardzone VSM {slot.resource_id}", 64)
    pInfo.manufacturerID = _pad(slot.manufacturer or "Guardzone", 32)
    pInfo.flags = CKF_TOKEN_PRESENT | CKF_HW_SLOT
    pInfo.hardwareVersion.major, pInfo.hardwareVersion.minor = 1, 0
    pInfo.firmwareVersion.major, pInfo.firmwareVersion.minor = LIB_VERSION


@export
def C_GetTokenInfo(slotID, pInfo):
    slot = M.slot(slotID)
    if pInfo == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    pInfo.label = _pad(slot.name or slot.resource_id, 32)
    pInfo.manufacturerID = _pad(slot.manufacturer or "Guardzone", 32)
    pInfo.model = _pad(slot.vsm_type or "VSM", 16)
    pInfo.serialNumber = _pad(slot.resource_id, 16)
    pInfo.flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED
    sessions = [s for s in M.sessions.values() if s.slot_id == slotID]
    pInfo.ulMaxSessionCount = pInfo.ulMaxRwSessionCount = 0       # CK_EFFECTIVELY_INFINITE
    pInfo.ulSessionCount = len(sessions)
    pInfo.ulRwSessionCount = sum(1 for s in sessions if s.flags & CKF_RW_SESSION)
    pInfo.ulMaxPinLen, pInfo.ulMinPinLen = 256, 1
    for f in ("ulTotalPublicMemory", "ulFreePublicMemory", "ulTotalPrivateMemory", "ulFreePrivateMemory"):
        setattr(pInfo, f, CK_UNAVAILABLE_INFORMATION)
    pInfo.hardwareVersion.major, pInfo.hardwareVersion.minor = 1, 0
    pInfo.firmwareVersion.major, pInfo.firmwareVersion.minor = LIB_VERSION
    pInfo.utcTime = _pad("", 16)


@export
def C_GetMechanismList(slotID, pMechanismList, pulCount):
    M.slot(slotID)
    _put_list(sorted(ops.MECHANISMS), pMechanismList, pulCount)


@export
def C_GetMechanismInfo(slotID, type, pInfo):
    M.slot(slotID)
    if pInfo == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    if type not in ops.MECHANISMS:
        raise CkError(CKR_MECHANISM_INVALID)
    pInfo.ulMinKeySize, pInfo.ulMaxKeySize, pInfo.flags = ops.MECHANISMS[type]


# ---- sessions ----

@export
def C_OpenSession(slotID, flags, pApplication, Notify, phSession):
    if phSession == NULL:
        M.need_init()
        raise CkError(CKR_ARGUMENTS_BAD)
    phSession[0] = M.open_session(slotID, flags)


@export
def C_CloseSession(hSession):
    M.close_session(hSession)


@export
def C_CloseAllSessions(slotID):
    M.need_init()
    if slotID not in M.slots:
        raise CkError(CKR_SLOT_ID_INVALID)
    M.close_all(slotID)


@export
def C_GetSessionInfo(hSession, pInfo):
    s = M.session(hSession)
    if pInfo == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    pInfo.slotID, pInfo.state, pInfo.flags, pInfo.ulDeviceError = s.slot_id, M.session_state(s), s.flags, 0


@export
def C_Login(hSession, userType, pPin, ulPinLen):
    M.login(hSession, userType, _data(pPin, ulPinLen).decode("utf-8", "replace"))


@export
def C_Logout(hSession):
    M.logout(hSession)


# ---- objects ----

@export
def C_FindObjectsInit(hSession, pTemplate, ulCount):
    s = M.session(hSession)
    if s.find is not None:
        raise CkError(CKR_OPERATION_ACTIVE)
    template = _template(pTemplate, ulCount)
    needs_public = any(t in PUBLIC_ATTRIBUTES for t, _ in template)     # only these cost a GetPublicKey
    found = []
    for h in M.list_objects(s):
        o = M.objects[h]
        if o.cls != CKO_PUBLIC_KEY and s.slot_id not in M.logged_in:
            continue
        attrs = M.attributes(o, with_public=needs_public) if template else {}
        for t, v in template:
            if attrs.get(t) != v:
                break
        else:
            found.append(h)
    s.find = found


@export
def C_FindObjects(hSession, phObject, ulMaxObjectCount, pulObjectCount):
    s = M.session(hSession)
    if s.find is None:
        raise CkError(CKR_OPERATION_NOT_INITIALIZED)
    if pulObjectCount == NULL or (ulMaxObjectCount and phObject == NULL):
        raise CkError(CKR_ARGUMENTS_BAD)
    batch, s.find = s.find[:ulMaxObjectCount], s.find[ulMaxObjectCount:]
    for i, h in enumerate(batch):
        phObject[i] = h
    pulObjectCount[0] = len(batch)


@export
def C_FindObjectsFinal(hSession):
    s = M.session(hSession)
    if s.find is None:
        raise CkError(CKR_OPERATION_NOT_INITIALIZED)
    s.find = None


@export
def C_GetAttributeValue(hSession, hObject, pTemplate, ulCount):
    s = M.session(hSession)
    o = M.obj(s, hObject)
    if ulCount and pTemplate == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    attrs = M.attributes(o)
    rv = CKR_OK
    for i in range(ulCount):
        a = pTemplate[i]
        v = attrs.get(int(a.type))
        if v is None or isinstance(v, int):
            a.ulValueLen = CK_UNAVAILABLE_INFORMATION
            rv = CKR_ATTRIBUTE_TYPE_INVALID if v is None else v
        elif a.pValue == NULL:
            a.ulValueLen = len(v)
        elif a.ulValueLen < len(v):
            a.ulValueLen = CK_UNAVAILABLE_INFORMATION
            rv = CKR_BUFFER_TOO_SMALL
        else:
            ffi.memmove(a.pValue, v, len(v))
            a.ulValueLen = len(v)
    return rv


@export
def C_GetObjectSize(hSession, hObject, pulSize):
    s = M.session(hSession)
    M.obj(s, hObject)
    if pulSize == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    pulSize[0] = CK_UNAVAILABLE_INFORMATION


@export
def C_DestroyObject(hSession, hObject):
    M.destroy(M.session(hSession), hObject)


@export
def C_SetAttributeValue(hSession, hObject, pTemplate, ulCount):
    M.obj(M.session(hSession), hObject)
    raise CkError(CKR_ATTRIBUTE_READ_ONLY, "a VSM key's attributes are fixed (rename it with UpdateAlias)")


@export
def C_GenerateKey(hSession, pMechanism, pTemplate, ulCount, phKey):
    s = M.session(hSession)
    mech, _ = _mechanism(pMechanism)
    if phKey == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    phKey[0] = ops.generate_key(M, s, mech, _template(pTemplate, ulCount))


@export
def C_GenerateKeyPair(hSession, pMechanism, pPublicKeyTemplate, ulPublicKeyAttributeCount, pPrivateKeyTemplate,
                      ulPrivateKeyAttributeCount, phPublicKey, phPrivateKey):
    s = M.session(hSession)
    mech, _ = _mechanism(pMechanism)
    if phPublicKey == NULL or phPrivateKey == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    pub, priv = ops.generate_key_pair(M, s, mech, _template(pPublicKeyTemplate, ulPublicKeyAttributeCount),
                                      _template(pPrivateKeyTemplate, ulPrivateKeyAttributeCount))
    phPublicKey[0], phPrivateKey[0] = pub, priv


# ---- crypto operations ----

def _start(hSession, name, pMechanism, hKey, init):
    s = M.session(hSession)
    if name in s.ops:
        raise CkError(CKR_OPERATION_ACTIVE)
    mech, params = _mechanism(pMechanism)
    o = M.obj(s, hKey, key_error=True)
    s.ops[name] = init(M, s, mech, params, o)


def _op(hSession, name):
    s = M.session(hSession)
    op = s.ops.get(name)
    if op is None:
        raise CkError(CKR_OPERATION_NOT_INITIALIZED)
    return s, op


def _single(hSession, name, pIn, ulInLen, pOut, pulOutLen, fn):
    s, op = _op(hSession, name)
    try:
        data = _data(pIn, ulInLen)
        if _put(op.once(data, fn), pOut, pulOutLen):
            s.ops.pop(name, None)
    except CkError as exc:
        if exc.rv != CKR_BUFFER_TOO_SMALL:
            s.ops.pop(name, None)
        raise
    except Exception:
        s.ops.pop(name, None)
        raise


def _update(hSession, name, pIn, ulInLen):
    s, op = _op(hSession, name)
    try:
        op.parts.append(_data(pIn, ulInLen))
    except Exception:
        s.ops.pop(name, None)
        raise


def _final(hSession, name, pOut, pulOutLen, fn):
    s, op = _op(hSession, name)
    try:
        if _put(op.once(b"".join(op.parts), fn), pOut, pulOutLen):
            s.ops.pop(name, None)
    except CkError as exc:
        if exc.rv != CKR_BUFFER_TOO_SMALL:
            s.ops.pop(name, None)
        raise
    except Exception:
        s.ops.pop(name, None)
        raise


@export
def C_SignInit(hSession, pMechanism, hKey):
    _start(hSession, "sign", pMechanism, hKey, ops.sign_init)


@export
def C_Sign(hSession, pIn, ulInLen, pOut, pulOutLen):
    _, op = _op(hSession, "sign")
    _single(hSession, "sign", pIn, ulInLen, pOut, pulOutLen, lambda d: ops.sign(op, d))


@export
def C_SignUpdate(hSession, pIn, ulInLen):
    _update(hSession, "sign", pIn, ulInLen)


@export
def C_SignFinal(hSession, pOut, pulOutLen):
    _, op = _op(hSession, "sign")
    _final(hSession, "sign", pOut, pulOutLen, lambda d: ops.sign(op, d))


@export
def C_VerifyInit(hSession, pMechanism, hKey):
    _start(hSession, "verify", pMechanism, hKey, ops.verify_init)


@export
def C_Verify(hSession, pIn, ulInLen, pSignature, ulSignatureLen):
    s, op = _op(hSession, "verify")
    try:
        ops.verify(op, _data(pIn, ulInLen), _data(pSignature, ulSignatureLen))
    finally:
        s.ops.pop("verify", None)


@export
def C_VerifyUpdate(hSession, pIn, ulInLen):
    _update(hSession, "verify", pIn, ulInLen)


@export
def C_VerifyFinal(hSession, pSignature, ulSignatureLen):
    s, op = _op(hSession, "verify")
    try:
        ops.verify(op, b"".join(op.parts), _data(pSignature, ulSignatureLen))
    finally:
        s.ops.pop("verify", None)


@export
def C_EncryptInit(hSession, pMechanism, hKey):
    _start(hSession, "encrypt", pMechanism, hKey, lambda m, s, t, p, o: ops.crypt_init(m, s, t, p, o, True))


@export
def C_Encrypt(hSession, pIn, ulInLen, pOut, pulOutLen):
    _, op = _op(hSession, "encrypt")
    _single(hSession, "encrypt", pIn, ulInLen, pOut, pulOutLen, lambda d: ops.encrypt(op, d))


@export
def C_DecryptInit(hSession, pMechanism, hKey):
    _start(hSession, "decrypt", pMechanism, hKey, lambda m, s, t, p, o: ops.crypt_init(m, s, t, p, o, False))


@export
def C_Decrypt(hSession, pIn, ulInLen, pOut, pulOutLen):
    _, op = _op(hSession, "decrypt")
    _single(hSession, "decrypt", pIn, ulInLen, pOut, pulOutLen, lambda d: ops.decrypt(op, d))


def _no_multipart(hSession, name):
    s, op = _op(hSession, name)
    if ops.multipart(op):
        return op
    s.ops.pop(name, None)
    raise CkError(CKR_FUNCTION_NOT_SUPPORTED, "single-part only: the VSM encrypts and decrypts whole messages")


def _crypt_update(hSession, name, pIn, ulInLen, pOut, pulOutLen):
    """Buffers the part (nothing is output before Final: the VSM takes whole messages, and GCM
    decryption must not release plaintext before the tag is checked). A NULL output buffer is a
    length query and does not take the part."""
    _no_multipart(hSession, name)
    s, op = _op(hSession, name)
    try:
        data = _data(pIn, ulInLen)
        if pulOutLen == NULL:
            raise CkError(CKR_ARGUMENTS_BAD)
        if pOut != NULL:
            if sum(map(len, op.parts)) + len(data) > ops.RAW_MAX + 16:
                raise CkError(CKR_DATA_LEN_RANGE if name == "encrypt" else CKR_ENCRYPTED_DATA_LEN_RANGE)
            op.parts.append(data)
        pulOutLen[0] = 0
    except Exception:
        s.ops.pop(name, None)
        raise


@export
def C_EncryptUpdate(hSession, pIn, ulInLen, pOut, pulOutLen):
    _crypt_update(hSession, "encrypt", pIn, ulInLen, pOut, pulOutLen)


@export
def C_EncryptFinal(hSession, pOut, pulOutLen):
    op = _no_multipart(hSession, "encrypt")
    _final(hSession, "encrypt", pOut, pulOutLen, lambda d: ops.encrypt(op, d))


@export
def C_DecryptUpdate(hSession, pIn, ulInLen, pOut, pulOutLen):
    _crypt_update(hSession, "decrypt", pIn, ulInLen, pOut, pulOutLen)


@export
def C_DecryptFinal(hSession, pOut, pulOutLen):
    op = _no_multipart(hSession, "decrypt")
    _final(hSession, "decrypt", pOut, pulOutLen, lambda d: ops.decrypt(op, d))


def _key_or(s, handle, rv):
    try:
        return M.obj(s, handle, key_error=True)
    except CkError as exc:
        if exc.rv == CKR_KEY_HANDLE_INVALID:
            raise CkError(rv)
        raise


@export
def C_WrapKey(hSession, pMechanism, hWrappingKey, hKey, pWrappedKey, pulWrappedKeyLen):
    s = M.session(hSession)
    mech, params = _mechanism(pMechanism)
    wrapping = _key_or(s, hWrappingKey, CKR_WRAPPING_KEY_HANDLE_INVALID)
    target = M.obj(s, hKey, key_error=True)
    asked = (mech, repr(params), hWrappingKey, hKey)
    cached = getattr(s, "wrapped", None)            # the length query, then the call: one WrapKey
    if cached is None or cached[0] != asked:
        cached = s.wrapped = (asked, ops.wrap_key(M, s, mech, params, wrapping, target))
    if _put(cached[1], pWrappedKey, pulWrappedKeyLen):
        s.wrapped = None


@export
def C_UnwrapKey(hSession, pMechanism, hUnwrappingKey, pWrappedKey, ulWrappedKeyLen, pTemplate, ulAttributeCount, phKey):
    s = M.session(hSession)
    mech, params = _mechanism(pMechanism)
    unwrapping = _key_or(s, hUnwrappingKey, CKR_UNWRAPPING_KEY_HANDLE_INVALID)
    if phKey == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    phKey[0] = ops.unwrap_key(M, s, mech, params, unwrapping, _data(pWrappedKey, ulWrappedKeyLen),
                              _template(pTemplate, ulAttributeCount))


@export
def C_DigestInit(hSession, pMechanism):
    s = M.session(hSession)
    if "digest" in s.ops:
        raise CkError(CKR_OPERATION_ACTIVE)
    mech, _ = _mechanism(pMechanism)
    op = ops.Operation(M, s, mech, None, None)
    op.hash = ops.digest_new(mech)
    s.ops["digest"] = op


def _digest_of(op, data: bytes) -> bytes:
    h = op.hash
    h.update(data)
    return h.digest()


@export
def C_Digest(hSession, pIn, ulInLen, pOut, pulOutLen):
    _, op = _op(hSession, "digest")
    _single(hSession, "digest", pIn, ulInLen, pOut, pulOutLen, lambda d: _digest_of(op, d))


@export
def C_DigestUpdate(hSession, pIn, ulInLen):
    _update(hSession, "digest", pIn, ulInLen)


@export
def C_DigestFinal(hSession, pOut, pulOutLen):
    _, op = _op(hSession, "digest")
    _final(hSession, "digest", pOut, pulOutLen, lambda d: _digest_of(op, d))


@export
def C_SeedRandom(hSession, pSeed, ulSeedLen):
    M.session(hSession)
    raise CkError(0x120, "the VSM's generator takes no seed")          # CKR_RANDOM_SEED_NOT_SUPPORTED


@export
def C_GenerateRandom(hSession, pRandomData, ulRandomLen):
    M.session(hSession)
    if ulRandomLen and pRandomData == NULL:
        raise CkError(CKR_ARGUMENTS_BAD)
    data = M.random(ulRandomLen)
    ffi.memmove(pRandomData, data, len(data))


@export
def C_GetFunctionStatus(hSession):
    M.session(hSession)
    return CKR_FUNCTION_NOT_PARALLEL


@export
def C_CancelFunction(hSession):
    M.session(hSession)
    return CKR_FUNCTION_NOT_PARALLEL


def _not_supported(name):
    def fn(*args):
        M.need_init()
        raise CkError(CKR_FUNCTION_NOT_SUPPORTED)
    fn.__name__ = name
    export(fn)


for _name in ("C_InitToken", "C_InitPIN", "C_SetPIN", "C_GetOperationState", "C_SetOperationState", "C_CreateObject",
              "C_CopyObject", "C_DigestKey", "C_SignRecoverInit", "C_SignRecover", "C_VerifyRecoverInit",
              "C_VerifyRecover", "C_DigestEncryptUpdate", "C_DecryptDigestUpdate", "C_SignEncryptUpdate",
              "C_DecryptVerifyUpdate", "C_DeriveKey", "C_WaitForSlotEvent"):
    _not_supported(_name)
