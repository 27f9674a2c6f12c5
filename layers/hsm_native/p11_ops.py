"""PKCS#11 mechanisms over the KMS API: what runs in the VSM (sign, decrypt, symmetric ciphers with the
caller's IV and mode, key generation) goes through the API; public-key operations (verify, RSA/SM2 encrypt) and digests run here.
The mechanism table and its limits are in docs/cloudhsm.md ("PKCS#11")."""
import base64
import hashlib
from typing import Dict, List, Optional, Tuple

from layers.hsm_native.p11_const import *  # noqa: F401,F403
from layers.hsm_native.p11_token import (CKK_AES, CKK_EC, CKK_RSA, CKK_SM2, CKK_SM4, CkError, Key, Module, Obj,
                                         Session, parse_bool, parse_ulong)

CKR_KEY_SIZE_RANGE = 0x62
RAW_LIMIT = 4096                        # SignByAsymmetricKey's RAW message limit; longer ones are hashed here
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
HASHES = {CKM_SHA_1: "sha1", CKM_SHA224: "sha224", CKM_SHA256: "sha256", CKM_SHA384: "sha384", CKM_SHA512: "sha512"}
MGF_OF = {CKM_SHA_1: CKG_MGF1_SHA1, CKM_SHA256: CKG_MGF1_SHA256}

SIGN_MECHS = {   # mechanism -> (key type, KMS algorithm, input "raw"|"digest", output "der"|"raw"|"rsa")
    CKM_SHA256_RSA_PKCS: (CKK_RSA, "RSA_PKCS1_SHA_256", "raw", "rsa"),
    CKM_RSA_PKCS: (CKK_RSA, "RSA_PKCS1_SHA_256", "digestinfo", "rsa"),
    CKM_RSA_PKCS_PSS: (CKK_RSA, "RSA_PSS_SHA_256", "digest", "rsa"),
    CKM_SHA256_RSA_PKCS_PSS: (CKK_RSA, "RSA_PSS_SHA_256", "raw", "rsa"),
    CKM_ECDSA: (CKK_EC, "ECC_P256_R1", "digest", "raw"),
    CKM_ECDSA_SHA256: (CKK_EC, "ECC_P256_R1", "raw", "raw"),
    CKM_SM3_SM2: (CKK_SM2, "SM2DSA", "raw", "raw"),
    CKM_SM3_SM2_APPID1: (CKK_SM2, "SM2DSA", "raw", "raw"),
    CKM_SM3_SM2_DER: (CKK_SM2, "SM2DSA", "raw", "der"),
    CKM_SM3_SM2_APPID1_DER: (CKK_SM2, "SM2DSA", "raw", "der"),
    CKM_SM2_SIGN: (CKK_SM2, "SM2DSA", "digest", "der"),
    CKM_SM2_SIGN_NO_DER: (CKK_SM2, "SM2DSA", "digest", "raw"),
}
# The raw symmetric cipher (KMS SymmetricEncrypt / SymmetricDecrypt, Guardzone's own): mechanism ->
# (key type, Algorithm, mode). Multi-part calls are buffered here and sent whole at Final.
RAW_MECHS = {
    CKM_AES_ECB: (CKK_AES, "AES_ECB", "ECB"), CKM_AES_CBC: (CKK_AES, "AES_CBC", "CBC"),
    CKM_AES_CBC_PAD: (CKK_AES, "AES_CBC_PAD", "CBC_PAD"), CKM_AES_GCM: (CKK_AES, "AES_GCM", "GCM"),
    CKM_AES_KEY_WRAP: (CKK_AES, "AES_KEY_WRAP", "KW"), CKM_AES_KEY_WRAP_PAD: (CKK_AES, "AES_KEY_WRAP_PAD", "KWP"),
    CKM_AES_KEY_WRAP_KWP: (CKK_AES, "AES_KEY_WRAP_PAD", "KWP"),
    CKM_SM4_ECB: (CKK_SM4, "SM4_ECB", "ECB"), CKM_SM4_ECB_PAD: (CKK_SM4, "SM4_ECB_PAD", "ECB_PAD"),
    CKM_SM4_CBC: (CKK_SM4, "SM4_CBC", "CBC"), CKM_SM4_CBC_PAD: (CKK_SM4, "SM4_CBC_PAD", "CBC_PAD"),
}
RAW_MAX = 32768                         # SymmetricEncrypt's data limit (bytes)
GCM_IV_RANGE, GCM_TAG_BITS = (12, 128), (96, 104, 112, 120, 128)
KW_IV = {"KW": bytes.fromhex("a6a6a6a6a6a6a6a6"), "KWP": bytes.fromhex("a65959a6")}
CRYPT_MECHS = {CKM_RSA_PKCS_OAEP: CKK_RSA, CKM_RSA_PKCS: CKK_RSA, CKM_SM2_RAW: CKK_SM2, CKM_SM2_CIPHER_DER: CKK_SM2,
               CKM_GZ_SM4_KMS: CKK_SM4, **{m: v[0] for m, v in RAW_MECHS.items()}}

_F_SV, _F_ED = CKF_HW | CKF_SIGN | CKF_VERIFY, CKF_HW | CKF_ENCRYPT | CKF_DECRYPT
_EC = CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS
MECHANISMS: Dict[int, Tuple[int, int, int]] = {
    CKM_RSA_PKCS_KEY_PAIR_GEN: (2048, 2048, CKF_HW | CKF_GENERATE_KEY_PAIR),
    CKM_RSA_PKCS: (2048, 2048, _F_SV | _F_ED),
    CKM_RSA_PKCS_OAEP: (2048, 2048, _F_ED),
    CKM_RSA_PKCS_PSS: (2048, 2048, _F_SV),
    CKM_SHA256_RSA_PKCS: (2048, 2048, _F_SV),
    CKM_SHA256_RSA_PKCS_PSS: (2048, 2048, _F_SV),
    CKM_EC_KEY_PAIR_GEN: (256, 256, CKF_HW | CKF_GENERATE_KEY_PAIR | _EC),
    CKM_ECDSA: (256, 256, _F_SV | _EC),
    CKM_ECDSA_SHA256: (256, 256, _F_SV | _EC),
    CKM_SHA_1: (0, 0, CKF_DIGEST), CKM_SHA224: (0, 0, CKF_DIGEST), CKM_SHA256: (0, 0, CKF_DIGEST),
    CKM_SHA384: (0, 0, CKF_DIGEST), CKM_SHA512: (0, 0, CKF_DIGEST), CKM_SM3: (0, 0, CKF_DIGEST),
    CKM_SM2_KEY_PAIR_GEN: (256, 256, CKF_HW | CKF_GENERATE_KEY_PAIR),
    CKM_SM3_SM2: (256, 256, _F_SV), CKM_SM3_SM2_DER: (256, 256, _F_SV),
    CKM_SM3_SM2_APPID1: (256, 256, _F_SV), CKM_SM3_SM2_APPID1_DER: (256, 256, _F_SV),
    CKM_SM2_SIGN: (256, 256, _F_SV), CKM_SM2_SIGN_NO_DER: (256, 256, _F_SV),
    CKM_SM2_RAW: (256, 256, _F_ED), CKM_SM2_CIPHER_DER: (256, 256, _F_ED),
    CKM_SM4_KEY_GEN: (16, 16, CKF_HW | CKF_GENERATE),
    CKM_GZ_SM4_KMS: (16, 16, _F_ED),
    CKM_AES_KEY_GEN: (16, 32, CKF_HW | CKF_GENERATE),
    **{m: (16, 32, _F_ED) for m in (CKM_AES_ECB, CKM_AES_CBC, CKM_AES_CBC_PAD, CKM_AES_GCM)},
    **{m: (16, 32, _F_ED | CKF_WRAP | CKF_UNWRAP) for m in (CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_PAD, CKM_AES_KEY_WRAP_KWP)},
    **{m: (16, 16, _F_ED) for m in (CKM_SM4_ECB, CKM_SM4_ECB_PAD, CKM_SM4_CBC, CKM_SM4_CBC_PAD)},
}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _der_to_raw(der: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _raw_to_der(raw: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    if len(raw) != 64:
        raise CkError(CKR_SIGNATURE_LEN_RANGE)
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def _ec_digest(data: bytes) -> bytes:
    """An ECDSA input hash as the 32-byte value P-256 signs: leftmost 256 bits, or zero-padded."""
    return data[:32] if len(data) >= 32 else data.rjust(32, b"\x00")


def _check_key(o: Obj, key_type: int, cls_needed: Tuple[int, ...], purpose: str) -> None:
    if o.key.key_type != key_type:
        raise CkError(CKR_KEY_TYPE_INCONSISTENT)
    if o.cls not in cls_needed or o.key.purpose != purpose:
        raise CkError(CKR_KEY_FUNCTION_NOT_PERMITTED)


def _pss_params(params: Optional[dict]) -> None:
    if params is None:
        return
    if params.get("hashAlg") != CKM_SHA256 or params.get("mgf") != CKG_MGF1_SHA256 or params.get("sLen") != 32:
        raise CkError(CKR_MECHANISM_PARAM_INVALID, "the VSM signs PSS with SHA-256, MGF1-SHA-256, 32-byte salt")


class Operation:
    """A started operation; single-part results are kept for the length-query-then-call pattern."""

    def __init__(self, m: Module, s: Session, mech: int, params: Optional[dict], o: Optional[Obj]) -> None:
        self.m, self.s, self.mech, self.params, self.o = m, s, mech, params, o
        self.parts: List[bytes] = []
        self.cached: Optional[Tuple[bytes, bytes]] = None

    def once(self, data: bytes, fn) -> bytes:
        if self.cached is None or self.cached[0] != data:
            self.cached = (data, fn(data))
        return self.cached[1]


# ---- sign / verify ----

def sign_init(m: Module, s: Session, mech: int, params: Optional[dict], o: Obj) -> Operation:
    if mech not in SIGN_MECHS:
        raise CkError(CKR_MECHANISM_INVALID)
    key_type = SIGN_MECHS[mech][0]
    _check_key(o, key_type, (CKO_PRIVATE_KEY,), "sign")
    if mech in (CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS):
        _pss_params(params)
    if o.key.state != "Enabled":
        raise CkError(CKR_KEY_FUNCTION_NOT_PERMITTED)
    return Operation(m, s, mech, params, o)


def sign(op: Operation, data: bytes) -> bytes:
    _, algorithm, form, out = SIGN_MECHS[op.mech]
    key = op.o.key
    if form == "digestinfo":
        if not (len(data) == 51 and data.startswith(SHA256_DIGEST_INFO)):
            raise CkError(CKR_DATA_INVALID, "the VSM signs PKCS#1 v1.5 DigestInfo of SHA-256 only")
        data, form = data[-32:], "digest"
    elif form == "digest":
        if key.key_type == CKK_EC:
            data = _ec_digest(data)
        elif len(data) != 32:
            raise CkError(CKR_DATA_LEN_RANGE)
    elif len(data) > RAW_LIMIT:                      # hash here, sign the digest in the VSM
        if key.key_type == CKK_SM2:
            data = op.m.public_key(key)[1].message_digest(data)
        else:
            data = hashlib.sha256(data).digest()
        form = "digest"
    sig = base64.b64decode(op.m.call("kms", "SignByAsymmetricKey", {
        "KeyId": key.key_id, "Algorithm": algorithm, "Message": b64(data),
        "MessageType": "DIGEST" if form == "digest" else "RAW"})["Signature"])
    return _der_to_raw(sig) if out == "raw" else sig


def verify_init(m: Module, s: Session, mech: int, params: Optional[dict], o: Obj) -> Operation:
    if mech not in SIGN_MECHS:
        raise CkError(CKR_MECHANISM_INVALID)
    _check_key(o, SIGN_MECHS[mech][0], (CKO_PUBLIC_KEY, CKO_PRIVATE_KEY), "sign")
    if mech in (CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS):
        _pss_params(params)
    return Operation(m, s, mech, params, o)


def verify(op: Operation, data: bytes, signature: bytes) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
    from layers.crypto.errors import CryptoError
    _, _, form, out = SIGN_MECHS[op.mech]
    kind, pub = op.m.public_key(op.o.key)
    try:
        if kind == "rsa":
            if len(signature) != 256:
                raise CkError(CKR_SIGNATURE_LEN_RANGE)
            if op.mech == CKM_RSA_PKCS:
                if pub.recover_data_from_signature(signature, padding.PKCS1v15(), None) != data:
                    raise InvalidSignature()
            elif op.mech == CKM_SHA256_RSA_PKCS:
                pub.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            else:
                pss = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
                if form == "digest":
                    if len(data) != 32:
                        raise CkError(CKR_DATA_LEN_RANGE)
                    pub.verify(signature, data, pss, utils.Prehashed(hashes.SHA256()))
                else:
                    pub.verify(signature, data, pss, hashes.SHA256())
        elif kind == "ec":
            der = _raw_to_der(signature)
            digest = _ec_digest(data) if form == "digest" else hashlib.sha256(data).digest()
            pub.verify(der, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        else:
            if out == "raw" and len(signature) != 64:
                raise CkError(CKR_SIGNATURE_LEN_RANGE)
            if form == "digest":
                if len(data) != 32:
                    raise CkError(CKR_DATA_LEN_RANGE)
                pub.verify_digest(signature, data, der=out == "der")
            else:
                pub.verify(signature, data, der=out == "der")
    except (InvalidSignature, CryptoError, ValueError) as exc:
        if isinstance(exc, CkError):
            raise
        raise CkError(CKR_SIGNATURE_INVALID)


# ---- encrypt / decrypt ----

def _oaep(params: Optional[dict]):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    if params is None:
        raise CkError(CKR_MECHANISM_PARAM_INVALID)
    h = params.get("hashAlg")
    if h not in MGF_OF or params.get("mgf") != MGF_OF[h] or params.get("sourceData"):
        raise CkError(CKR_MECHANISM_PARAM_INVALID, "OAEP: SHA-1 or SHA-256 with the same MGF1, no label")
    algo = hashes.SHA1() if h == CKM_SHA_1 else hashes.SHA256()
    return padding.OAEP(padding.MGF1(algo), algo, None), "RSAES_OAEP_SHA_1" if h == CKM_SHA_1 else "RSAES_OAEP_SHA_256"


def crypt_init(m: Module, s: Session, mech: int, params: Optional[dict], o: Obj, encrypt: bool) -> Operation:
    if mech not in CRYPT_MECHS:
        raise CkError(CKR_MECHANISM_INVALID)
    key_type = CRYPT_MECHS[mech]
    if mech in RAW_MECHS:
        _check_key(o, key_type, (CKO_SECRET_KEY,), "secret")
        params = _raw_params(mech, params)
    elif key_type == CKK_SM4:
        _check_key(o, key_type, (CKO_SECRET_KEY,), "secret")
    else:
        _check_key(o, key_type, (CKO_PUBLIC_KEY,) if encrypt else (CKO_PRIVATE_KEY,), "decrypt")
    if mech == CKM_RSA_PKCS_OAEP:
        _oaep(params)
    if encrypt and o.key.state != "Enabled" or o.key.state == "Disabled":
        raise CkError(CKR_KEY_FUNCTION_NOT_PERMITTED)
    return Operation(m, s, mech, params, o)


def _raw_params(mech: int, params: Optional[dict]) -> dict:
    """The checked IV / AAD / tag length of a raw-cipher mechanism (pkcs11._mechanism read them)."""
    mode = RAW_MECHS[mech][2]
    p = params or {}
    iv = p.get("iv", b"")
    if p.get("bad"):
        raise CkError(CKR_MECHANISM_PARAM_INVALID, p["bad"])
    if mode.startswith("ECB"):
        if iv:
            raise CkError(CKR_MECHANISM_PARAM_INVALID, "ECB takes no parameter")
    elif mode.startswith("CBC"):
        if len(iv) != 16:
            raise CkError(CKR_MECHANISM_PARAM_INVALID, "CBC needs a 16-byte IV")
    elif mode == "GCM":
        if "tag_bits" not in p or not GCM_IV_RANGE[0] <= len(iv) <= GCM_IV_RANGE[1]:
            raise CkError(CKR_MECHANISM_PARAM_INVALID, "GCM: CK_GCM_PARAMS with a 12-128 byte IV")
        if p["tag_bits"] not in GCM_TAG_BITS:
            raise CkError(CKR_MECHANISM_PARAM_INVALID, "GCM tag: 96, 104, 112, 120 or 128 bits")
    elif iv and iv != KW_IV[mode]:
        raise CkError(CKR_MECHANISM_PARAM_INVALID, "key wrap: the standard's default IV only")
    return {"iv": iv if mode.startswith("CBC") or mode == "GCM" else b"", "aad": p.get("aad", b""),
            "tag_bits": p.get("tag_bits")}


def multipart(op: Operation) -> bool:
    """Whether C_*Update / C_*Final run this operation (buffered: the VSM gets the whole data at Final)."""
    return op.mech in RAW_MECHS


def _raw_call(op: Operation, action: str, field: str, data: bytes) -> bytes:
    _, algorithm, mode = RAW_MECHS[op.mech]
    params = {"KeyId": op.o.key.key_id, "Algorithm": algorithm, field: b64(data)}
    if op.params["iv"]:
        params["Iv"] = b64(op.params["iv"])
    if mode == "GCM":
        params["TagLength"] = op.params["tag_bits"]
        if op.params["aad"]:
            params["Aad"] = b64(op.params["aad"])
    out = op.m.call("kms", action, params)
    return base64.b64decode(out["CiphertextBlob" if action == "SymmetricEncrypt" else "Plaintext"])


def _wrap_length_ok(mode: str, data: bytes, plain: bool) -> bool:
    """Key wrap's length rules (layers.crypto.keywrap's), for KW/KWP; True for other modes."""
    if mode not in ("KW", "KWP"):
        return True
    from layers.crypto import InvalidInput, keywrap
    try:
        (keywrap.check_data if plain else keywrap.check_wrapped)(data, pad=mode == "KWP")
    except InvalidInput:
        return False
    return True


def _raw_encrypt(op: Operation, data: bytes) -> bytes:
    mode = RAW_MECHS[op.mech][2]
    if len(data) > RAW_MAX or mode in ("ECB", "CBC") and len(data) % 16 or not _wrap_length_ok(mode, data, True):
        raise CkError(CKR_DATA_LEN_RANGE)
    return _raw_call(op, "SymmetricEncrypt", "Plaintext", data)


def _raw_decrypt(op: Operation, data: bytes) -> bytes:
    mode = RAW_MECHS[op.mech][2]
    least = {"GCM": (op.params["tag_bits"] or 0) // 8, "ECB_PAD": 16, "CBC_PAD": 16}.get(mode, 0)
    if (len(data) > RAW_MAX + 16 or len(data) < least or mode[:3] in ("ECB", "CBC") and len(data) % 16
            or not _wrap_length_ok(mode, data, False)):
        raise CkError(CKR_ENCRYPTED_DATA_LEN_RANGE)
    return _raw_call(op, "SymmetricDecrypt", "CiphertextBlob", data)


def encrypt(op: Operation, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import padding
    key = op.o.key
    if op.mech in RAW_MECHS:
        return _raw_encrypt(op, data)
    if op.mech == CKM_GZ_SM4_KMS:
        if not 1 <= len(data) <= RAW_LIMIT:
            raise CkError(CKR_DATA_LEN_RANGE)
        return base64.b64decode(op.m.call("kms", "Encrypt", {"KeyId": key.key_id, "Plaintext": b64(data)})["CiphertextBlob"])
    kind, pub = op.m.public_key(key)
    if kind == "rsa":
        pad = _oaep(op.params)[0] if op.mech == CKM_RSA_PKCS_OAEP else padding.PKCS1v15()
        try:
            return pub.encrypt(data, pad)
        except ValueError:
            raise CkError(CKR_DATA_LEN_RANGE)
    from layers.crypto import sm2
    if not 1 <= len(data) <= 256:
        raise CkError(CKR_DATA_LEN_RANGE)
    ct = pub.encrypt(data)
    return sm2.ciphertext_to_der(ct) if op.mech == CKM_SM2_CIPHER_DER else ct


def decrypt(op: Operation, data: bytes) -> bytes:
    key = op.o.key
    if op.mech in RAW_MECHS:
        return _raw_decrypt(op, data)
    if op.mech == CKM_GZ_SM4_KMS:
        if len(data) < 40 + 12 + 16 or data[4:40] != key.key_id.encode():
            raise CkError(CKR_ENCRYPTED_DATA_INVALID, "not a ciphertext of this key")
        out = op.m.call("kms", "Decrypt", {"CiphertextBlob": b64(data)})
    elif op.mech in (CKM_SM2_RAW, CKM_SM2_CIPHER_DER):
        out = op.m.call("kms", "AsymmetricSm2Decrypt", {"KeyId": key.key_id, "Ciphertext": b64(data)})
    else:
        if len(data) != 256:
            raise CkError(CKR_ENCRYPTED_DATA_LEN_RANGE)
        algorithm = _oaep(op.params)[1] if op.mech == CKM_RSA_PKCS_OAEP else "RSAES_PKCS1_V1_5"
        out = op.m.call("kms", "AsymmetricRsaDecrypt", {"KeyId": key.key_id, "Ciphertext": b64(data),
                                                        "Algorithm": algorithm})
    return base64.b64decode(out["Plaintext"])


# ---- key wrapping (KMS WrapKey / UnwrapKey) ----

WRAP_MECHS = (CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_PAD, CKM_AES_KEY_WRAP_KWP)


def _wrapping_key(mech: int, params: Optional[dict], o: Obj, type_error: int) -> str:
    """The KMS Algorithm of a key-wrap mechanism, once the (un)wrapping key is an AES secret key."""
    if mech not in WRAP_MECHS:
        raise CkError(CKR_MECHANISM_INVALID, "AES key wrap (RFC 3394, RFC 5649) only")
    _raw_params(mech, params)
    if o.cls != CKO_SECRET_KEY or o.key.key_type != CKK_AES:
        raise CkError(type_error)
    return RAW_MECHS[mech][1]


def wrap_key(m: Module, s: Session, mech: int, params: Optional[dict], wrapping: Obj, target: Obj) -> bytes:
    algorithm = _wrapping_key(mech, params, wrapping, CKR_WRAPPING_KEY_TYPE_INCONSISTENT)
    if wrapping.key.state != "Enabled":
        raise CkError(CKR_KEY_FUNCTION_NOT_PERMITTED)
    if target.cls != CKO_SECRET_KEY:
        raise CkError(CKR_KEY_NOT_WRAPPABLE, "secret keys only")
    if target.key.origin != "EXTERNAL":
        raise CkError(CKR_KEY_UNEXTRACTABLE, "material made in the VSM never leaves it, even wrapped")
    out = m.call("kms", "WrapKey", {"KeyId": wrapping.key.key_id, "TargetKeyId": target.key.key_id,
                                    "Algorithm": algorithm})
    return base64.b64decode(out["WrappedKey"])


def unwrap_key(m: Module, s: Session, mech: int, params: Optional[dict], unwrapping: Obj, wrapped: bytes,
               template) -> int:
    algorithm = _wrapping_key(mech, params, unwrapping, CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT)
    if not _wrap_length_ok("KW" if mech == CKM_AES_KEY_WRAP else "KWP", wrapped, False):
        raise CkError(CKR_WRAPPED_KEY_LEN_RANGE)
    _check_class(template, CKO_SECRET_KEY)
    kt = _t(template, CKA_KEY_TYPE)
    if kt is None:
        raise CkError(CKR_TEMPLATE_INCOMPLETE, "CKA_KEY_TYPE (CKK_AES or CKK_SM4)")
    kt = parse_ulong(kt)
    length = _t(template, CKA_VALUE_LEN)
    length = len(wrapped) - 8 if length is None else parse_ulong(length)   # KWP: 16- and 32-byte keys pad to none
    if kt == CKK_SM4 and length == 16:
        usage = "ENCRYPT_DECRYPT"
    elif kt == CKK_AES and length in (16, 32):
        usage = f"ENCRYPT_DECRYPT_AES_{length * 8}"
    else:
        raise CkError(CKR_TEMPLATE_INCONSISTENT, "an AES-128, AES-256 or SM4 key")
    via = ("UnwrapKey", {"KeyId": unwrapping.key.key_id, "Algorithm": algorithm, "WrappedKey": b64(wrapped)})
    try:
        key = m.create_key(s, usage, _t(template, CKA_LABEL), _t(template, CKA_ID), bool(_tb(template, CKA_TOKEN)),
                           via=via)
    except CkError as exc:
        if exc.rv == CKR_ENCRYPTED_DATA_INVALID or "InvalidImportKeyMaterial" in str(exc):
            raise CkError(CKR_WRAPPED_KEY_INVALID, str(exc))
        raise
    return m.key_objects(key)[0]


# ---- digest ----

def digest_new(mech: int):
    if mech in (CKM_SM3, CKM_SM3_HASH):
        from layers.crypto import sm3

        class _Sm3:
            def __init__(self):
                self.h = sm3.new()

            def update(self, b):
                self.h.update(b)

            def digest(self):
                return self.h.finalize()
        return _Sm3()
    if mech not in HASHES:
        raise CkError(CKR_MECHANISM_INVALID)
    return hashlib.new(HASHES[mech])


# ---- key generation ----

def _t(template: List[Tuple[int, bytes]], attr: int) -> Optional[bytes]:
    for t, v in template:
        if t == attr:
            return v
    return None


def _tb(template, attr) -> Optional[bool]:
    v = _t(template, attr)
    return None if v is None else parse_bool(v)


def _check_class(template, want: int) -> None:
    v = _t(template, CKA_CLASS)
    if v is not None and parse_ulong(v) != want:
        raise CkError(CKR_TEMPLATE_INCONSISTENT)


def generate_key_pair(m: Module, s: Session, mech: int, pub_t, priv_t) -> Tuple[int, int]:
    _check_class(pub_t, CKO_PUBLIC_KEY)
    _check_class(priv_t, CKO_PRIVATE_KEY)
    if mech == CKM_RSA_PKCS_KEY_PAIR_GEN:
        bits = _t(pub_t, CKA_MODULUS_BITS)
        if bits is None:
            raise CkError(CKR_TEMPLATE_INCOMPLETE, "CKA_MODULUS_BITS")
        if parse_ulong(bits) != 2048:
            raise CkError(CKR_KEY_SIZE_RANGE, "the VSM makes RSA 2048 keys")
        e = _t(pub_t, CKA_PUBLIC_EXPONENT)
        if e is not None and int.from_bytes(e, "big") != 65537:
            raise CkError(CKR_ATTRIBUTE_VALUE_INVALID, "public exponent 65537 only")
        kind = "RSA_2048"
    elif mech == CKM_EC_KEY_PAIR_GEN:
        params = _t(pub_t, CKA_EC_PARAMS)
        if params is None:
            raise CkError(CKR_TEMPLATE_INCOMPLETE, "CKA_EC_PARAMS")
        if params == P256_OID_DER:
            kind = "ECC"
        elif params == SM2_OID_DER:
            kind = "SM2"
        else:
            raise CkError(CKR_CURVE_NOT_SUPPORTED, "P-256 or SM2 only")
    elif mech == CKM_SM2_KEY_PAIR_GEN:
        params = _t(pub_t, CKA_EC_PARAMS)
        if params is not None and params != SM2_OID_DER:
            raise CkError(CKR_TEMPLATE_INCONSISTENT)
        kind = "SM2"
    else:
        raise CkError(CKR_MECHANISM_INVALID)
    # CKA_DERIVE, CKA_WRAP/UNWRAP, *_RECOVER asked for are not offered: the key reads them false.
    wants_sign = _tb(priv_t, CKA_SIGN) or _tb(pub_t, CKA_VERIFY)
    wants_decrypt = _tb(priv_t, CKA_DECRYPT) or _tb(pub_t, CKA_ENCRYPT) or _tb(priv_t, CKA_UNWRAP)
    # A KMS key has one usage: signing unless only decryption is asked for.
    purpose = "decrypt" if wants_decrypt and not wants_sign else "sign"
    if kind == "ECC" and purpose == "decrypt":
        raise CkError(CKR_TEMPLATE_INCONSISTENT, "P-256 keys sign only")
    usage = {("RSA_2048", "sign"): "ASYMMETRIC_SIGN_VERIFY_RSA_2048", ("RSA_2048", "decrypt"): "ASYMMETRIC_DECRYPT_RSA_2048",
             ("ECC", "sign"): "ASYMMETRIC_SIGN_VERIFY_ECC", ("SM2", "sign"): "ASYMMETRIC_SIGN_VERIFY_SM2",
             ("SM2", "decrypt"): "ASYMMETRIC_DECRYPT_SM2"}[(kind, purpose)]
    token = bool(_tb(priv_t, CKA_TOKEN) or _tb(pub_t, CKA_TOKEN))
    key = m.create_key(s, usage, _t(priv_t, CKA_LABEL) or _t(pub_t, CKA_LABEL),
                       _t(priv_t, CKA_ID) or _t(pub_t, CKA_ID), token)
    priv_h, pub_h = m.key_objects(key)
    return pub_h, priv_h


def generate_key(m: Module, s: Session, mech: int, template) -> int:
    if mech not in (CKM_SM4_KEY_GEN, CKM_SM4_KEY_GEN_ALT, CKM_AES_KEY_GEN):
        raise CkError(CKR_MECHANISM_INVALID, "the VSM makes SM4 and AES secret keys only")
    _check_class(template, CKO_SECRET_KEY)
    want_type = CKK_AES if mech == CKM_AES_KEY_GEN else CKK_SM4
    kt = _t(template, CKA_KEY_TYPE)
    if kt is not None and parse_ulong(kt) != want_type:
        raise CkError(CKR_TEMPLATE_INCONSISTENT)
    length = _t(template, CKA_VALUE_LEN)
    if want_type == CKK_AES:
        if length is None:
            raise CkError(CKR_TEMPLATE_INCOMPLETE, "CKA_VALUE_LEN (16 or 32)")
        if parse_ulong(length) not in (16, 32):
            raise CkError(CKR_KEY_SIZE_RANGE, "the VSM makes AES-128 and AES-256 keys")
        usage = f"ENCRYPT_DECRYPT_AES_{parse_ulong(length) * 8}"
    else:
        if length is not None and parse_ulong(length) != 16:
            raise CkError(CKR_ATTRIBUTE_VALUE_INVALID)
        usage = "ENCRYPT_DECRYPT"
    # a secret key of the VSM encrypts and decrypts only: other usages asked for read false.
    key = m.create_key(s, usage, _t(template, CKA_LABEL), _t(template, CKA_ID),
                       bool(_tb(template, CKA_TOKEN)))
    return m.key_objects(key)[0]
