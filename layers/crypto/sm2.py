"""SM2 public-key cryptography (GM/T 0003, GB/T 32918): keys, signatures, encryption.

Keys
    SM2PrivateKey.generate() / .from_bytes(32 bytes) / .from_der() / .from_pem()
    SM2PublicKey.from_bytes(65-byte 04||x||y, 64-byte x||y or 33-byte compressed)
    / .from_der() / .from_pem(); to_bytes(), to_der() (PKCS#8 or
    SubjectPublicKeyInfo with id-ecPublicKey + OID 1.2.156.10197.1.301), to_pem().
    `cryptography` does not support the SM2 curve, so the DER is built here.

Signatures
    sign(key, message, uid=DEFAULT_ID) hashes e = SM3(Z || message) with
    Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA); sign_digest(key, e)
    takes a precomputed e. Signatures are raw r||s (64 bytes) by default or
    DER (SEQUENCE of two INTEGERs) with der=True; signature_to_der() and
    signature_from_der() convert. verify*() return None or raise
    InvalidSignature.

Encryption
    encrypt(key, plaintext) -> C1 || C3 || C2 with C1 = 04||x||y (65 bytes),
    C3 = SM3(x2 || M || y2) (32 bytes), C2 = M xor KDF(x2 || y2). decrypt()
    raises DecryptionFailed for any malformed or tampered ciphertext.
    ciphertext_to_der() / ciphertext_from_der() convert to the GM/T 0009
    ASN.1 form (what OpenSSL emits); c1c2c3_to_c1c3c2() and back reorder.

Functions taking a key accept the key object or its raw byte encoding;
passing objects avoids re-deriving the public key (one scalar multiplication)
and re-hashing Z on every call.
"""

from __future__ import annotations

import hmac
import os

import gmpy2
from gmpy2 import mpz

from . import asn1, sm2_curve
from .errors import DecryptionFailed, InvalidInput, InvalidKey, InvalidSignature
from .sm3 import kdf, sm3_concat

DEFAULT_ID = b"1234567812345678"

N = int(sm2_curve.N)
_N = sm2_curve.N
_CURVE_BYTES = b"".join(
    int(v).to_bytes(32, "big")
    for v in (sm2_curve.A, sm2_curve.B, sm2_curve.GX, sm2_curve.GY)
)

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_SM2 = "1.2.156.10197.1.301"
_ALGORITHM_ID = asn1.sequence(asn1.oid(OID_EC_PUBLIC_KEY), asn1.oid(OID_SM2))
_OID_SM2_DER = asn1.oid(OID_SM2)
_OID_EC_DER = asn1.oid(OID_EC_PUBLIC_KEY)

_Z_CACHE_LIMIT = 8


def _random_scalar() -> mpz:
    """Uniform in [1, n-1] from the OS CSPRNG (rejection sampling, ~2^-32 rejections)."""
    while True:
        k = int.from_bytes(os.urandom(32), "big")
        if 0 < k < N:
            return mpz(k)


def _uid_bytes(uid: bytes | str) -> bytes:
    if isinstance(uid, str):
        uid = uid.encode()
    if len(uid) * 8 > 0xFFFF:
        raise InvalidInput("SM2 user ID is longer than 8191 bytes")
    return bytes(uid)


class SM2PublicKey:
    """A validated point on the SM2 curve."""

    __slots__ = ("x", "y", "_z")

    def __init__(self, x: int, y: int):
        if not sm2_curve.is_on_curve(x, y):
            raise InvalidKey("SM2 public key is not a point on the curve")
        self.x = mpz(x)
        self.y = mpz(y)
        self._z = {}

    # -- encodings --

    @classmethod
    def from_bytes(cls, data: bytes) -> "SM2PublicKey":
        """65-byte 04||x||y, 64-byte x||y, or 33-byte 02/03||x."""
        data = bytes(data)
        if len(data) == 65 and data[0] == 4:
            data = data[1:]
        if len(data) == 64:
            return cls(int.from_bytes(data[:32], "big"), int.from_bytes(data[32:], "big"))
        if len(data) == 33 and data[0] in (2, 3):
            point = sm2_curve.lift_x(int.from_bytes(data[1:], "big"), data[0] == 3)
            if point is None:
                raise InvalidKey("SM2 public key is not a point on the curve")
            return cls(*point)
        raise InvalidKey(
            "SM2 public key must be 65 bytes (04||x||y), 64 bytes (x||y) or 33 bytes (compressed)"
        )

    def to_bytes(self, compressed: bool = False) -> bytes:
        """04||x||y (65 bytes), or 02/03||x (33 bytes) when compressed."""
        if compressed:
            return bytes([2 | (int(self.y) & 1)]) + int(self.x).to_bytes(32, "big")
        return b"\x04" + self.raw

    @property
    def raw(self) -> bytes:
        """x||y (64 bytes)."""
        return int(self.x).to_bytes(32, "big") + int(self.y).to_bytes(32, "big")

    @classmethod
    def from_der(cls, der: bytes) -> "SM2PublicKey":
        """SubjectPublicKeyInfo with id-ecPublicKey and the SM2 curve OID."""
        try:
            outer = asn1.Reader(der)
            spki = outer.read_sequence()
            outer.expect_end()
            _read_algorithm(spki)
            point = spki.read_bit_string()
            spki.expect_end()
        except InvalidInput as exc:
            raise InvalidKey(f"malformed SM2 public key DER: {exc}") from None
        return cls.from_bytes(point)

    def to_der(self) -> bytes:
        return asn1.sequence(_ALGORITHM_ID, asn1.bit_string(self.to_bytes()))

    @classmethod
    def from_pem(cls, pem: bytes | str) -> "SM2PublicKey":
        label, der = _pem(pem)
        if label != "PUBLIC KEY":
            raise InvalidKey(f"expected a PUBLIC KEY PEM block, got {label}")
        return cls.from_der(der)

    def to_pem(self) -> bytes:
        return asn1.pem_encode("PUBLIC KEY", self.to_der())

    # -- operations --

    def z_value(self, uid: bytes | str = DEFAULT_ID) -> bytes:
        """Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA)."""
        uid = _uid_bytes(uid)
        z = self._z.get(uid)
        if z is None:
            z = sm3_concat((len(uid) * 8).to_bytes(2, "big"), uid, _CURVE_BYTES, self.raw)
            if len(self._z) >= _Z_CACHE_LIMIT:
                self._z.clear()
            self._z[uid] = z
        return z

    def message_digest(self, message: bytes, uid: bytes | str = DEFAULT_ID) -> bytes:
        """e = SM3(Z || message), the value that is signed."""
        return sm3_concat(self.z_value(uid), message)

    def verify(self, signature: bytes, message: bytes, *, uid: bytes | str = DEFAULT_ID,
               der: bool = False) -> None:
        self.verify_digest(signature, self.message_digest(message, uid), der=der)

    def verify_digest(self, signature: bytes, digest: bytes, *, der: bool = False) -> None:
        r, s = _parse_signature(signature, der)
        if not _verify(self, _digest_int(digest), r, s):
            raise InvalidSignature("SM2 signature does not verify")

    def encrypt(self, plaintext: bytes) -> bytes:
        return _encrypt(self, bytes(plaintext))

    def precompute(self) -> None:
        """Build this key's verification table now instead of on its second use."""
        sm2_curve.precompute_public_key(self.x, self.y)

    def __eq__(self, other):
        return isinstance(other, SM2PublicKey) and self.x == other.x and self.y == other.y

    def __hash__(self):
        return hash((int(self.x), int(self.y)))

    def __repr__(self):
        return f"SM2PublicKey({self.to_bytes().hex()})"


class SM2PrivateKey:
    """A private scalar 1 <= d <= n-2 with its public key (and, once used, (1+d)^-1 mod n)."""

    __slots__ = ("_d", "_dinv", "public_key")

    def __init__(self, d: int, public_key: SM2PublicKey | None = None):
        if not 1 <= d <= N - 2:
            raise InvalidKey("SM2 private key is out of range [1, n-2]")
        self._d = mpz(d)
        self._dinv = None  # (1+d)^-1 mod n, computed on first signature
        if public_key is None:
            public_key = SM2PublicKey(*sm2_curve.mul_base_secret(self._d))
        self.public_key = public_key

    def _inverse(self) -> mpz:
        if self._dinv is None:
            # powmod_sec is GMP's constant-time modular exponentiation.
            self._dinv = gmpy2.powmod_sec(self._d + 1, _N - 2, _N)
        return self._dinv

    @classmethod
    def generate(cls) -> "SM2PrivateKey":
        while True:
            d = _random_scalar()
            if d <= N - 2:
                return cls(d)

    @classmethod
    def from_bytes(cls, data: bytes) -> "SM2PrivateKey":
        if len(data) != 32:
            raise InvalidKey("SM2 private key must be 32 bytes")
        return cls(int.from_bytes(data, "big"))

    def to_bytes(self) -> bytes:
        return int(self._d).to_bytes(32, "big")

    @classmethod
    def from_der(cls, der: bytes) -> "SM2PrivateKey":
        """PKCS#8 PrivateKeyInfo or SEC1 ECPrivateKey, SM2 curve only (unencrypted)."""
        try:
            outer = asn1.Reader(der)
            top = outer.read_sequence()
            outer.expect_end()
            version = top.read_integer()
            if version == 0:  # PKCS#8
                _read_algorithm(top)
                inner = asn1.Reader(top.read(asn1.OCTET_STRING))
                top.expect_end()
                ec = inner.read_sequence()
                inner.expect_end()
                if ec.read_integer() != 1:
                    raise InvalidInput("unsupported ECPrivateKey version")
            elif version == 1:  # SEC1
                ec = top
            else:
                raise InvalidInput("unsupported private key version")
            scalar = ec.read(asn1.OCTET_STRING)
            public = None
            if ec.peek_tag() == asn1.context(0):
                params = asn1.Reader(ec.read(asn1.context(0)))
                if params.read(asn1.OBJECT_IDENTIFIER) != _OID_SM2_DER[2:]:
                    raise InvalidKey("private key is not on the SM2 curve")
                params.expect_end()
            elif version == 1:
                raise InvalidKey("SEC1 private key does not name its curve")
            if ec.peek_tag() == asn1.context(1):
                public = asn1.Reader(ec.read(asn1.context(1))).read_bit_string()
            ec.expect_end()
        except InvalidInput as exc:
            raise InvalidKey(f"malformed SM2 private key DER: {exc}") from None
        if len(scalar) != 32:
            raise InvalidKey("SM2 private key must be 32 bytes")
        key = cls.from_bytes(scalar)
        if public is not None and SM2PublicKey.from_bytes(public) != key.public_key:
            raise InvalidKey("embedded public key does not match the private key")
        return key

    def to_der(self) -> bytes:
        """PKCS#8 PrivateKeyInfo, laid out as OpenSSL writes SM2 keys."""
        ec_key = asn1.sequence(
            asn1.integer(1),
            asn1.octet_string(self.to_bytes()),
            asn1.tlv(asn1.context(1), asn1.bit_string(self.public_key.to_bytes())),
        )
        return asn1.sequence(asn1.integer(0), _ALGORITHM_ID, asn1.octet_string(ec_key))

    @classmethod
    def from_pem(cls, pem: bytes | str) -> "SM2PrivateKey":
        label, der = _pem(pem)
        # OpenSSL 3 labels SEC1 keys on the SM2 curve "SM2 PRIVATE KEY".
        if label not in ("PRIVATE KEY", "EC PRIVATE KEY", "SM2 PRIVATE KEY"):
            raise InvalidKey(f"expected a PRIVATE KEY PEM block, got {label}")
        return cls.from_der(der)

    def to_pem(self) -> bytes:
        return asn1.pem_encode("PRIVATE KEY", self.to_der())

    def sign(self, message: bytes, *, uid: bytes | str = DEFAULT_ID, der: bool = False) -> bytes:
        return self.sign_digest(self.public_key.message_digest(message, uid), der=der)

    def sign_digest(self, digest: bytes, *, der: bool = False) -> bytes:
        r, s = _sign(self, _digest_int(digest), None)
        return _encode_signature(r, s, der)

    def decrypt(self, ciphertext: bytes) -> bytes:
        return _decrypt(self, bytes(ciphertext))

    def __repr__(self):
        return f"SM2PrivateKey(public_key={self.public_key.to_bytes().hex()})"


# -- module-level interface -----------------------------------------------------

def generate_keypair() -> tuple[bytes, bytes]:
    """(32-byte private key, 65-byte 04||x||y public key)."""
    key = SM2PrivateKey.generate()
    return key.to_bytes(), key.public_key.to_bytes()


def public_key_from_private(private_key: bytes | SM2PrivateKey) -> bytes:
    return _private(private_key).public_key.to_bytes()


def z_value(public_key, uid: bytes | str = DEFAULT_ID) -> bytes:
    return _public(public_key).z_value(uid)


def sign(private_key, message: bytes, *, uid: bytes | str = DEFAULT_ID, der: bool = False) -> bytes:
    return _private(private_key).sign(message, uid=uid, der=der)


def sign_digest(private_key, digest: bytes, *, der: bool = False) -> bytes:
    return _private(private_key).sign_digest(digest, der=der)


def verify(public_key, signature: bytes, message: bytes, *, uid: bytes | str = DEFAULT_ID,
           der: bool = False) -> None:
    _public(public_key).verify(signature, message, uid=uid, der=der)


def verify_digest(public_key, signature: bytes, digest: bytes, *, der: bool = False) -> None:
    _public(public_key).verify_digest(signature, digest, der=der)


def encrypt(public_key, plaintext: bytes) -> bytes:
    return _public(public_key).encrypt(plaintext)


def decrypt(private_key, ciphertext: bytes) -> bytes:
    return _private(private_key).decrypt(ciphertext)


def signature_to_der(signature: bytes) -> bytes:
    """Raw r||s (64 bytes) -> DER SEQUENCE { INTEGER r, INTEGER s }."""
    r, s = _parse_signature(signature, False)
    return _encode_signature(r, s, True)


def signature_from_der(signature: bytes) -> bytes:
    """DER SEQUENCE { INTEGER r, INTEGER s } -> raw r||s (64 bytes)."""
    r, s = _parse_signature(signature, True)
    return _encode_signature(r, s, False)


def ciphertext_to_der(ciphertext: bytes) -> bytes:
    """C1C3C2 -> GM/T 0009 SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING }."""
    c1, c3, c2 = _split_ciphertext(ciphertext)
    return asn1.sequence(
        asn1.integer(int.from_bytes(c1[1:33], "big")),
        asn1.integer(int.from_bytes(c1[33:], "big")),
        asn1.octet_string(c3),
        asn1.octet_string(c2),
    )


def ciphertext_from_der(der: bytes) -> bytes:
    """GM/T 0009 ASN.1 ciphertext -> C1C3C2."""
    try:
        outer = asn1.Reader(der)
        seq = outer.read_sequence()
        outer.expect_end()
        x = seq.read_integer()
        y = seq.read_integer()
        c3 = seq.read(asn1.OCTET_STRING)
        c2 = seq.read(asn1.OCTET_STRING)
        seq.expect_end()
    except InvalidInput:
        raise DecryptionFailed("malformed SM2 ciphertext") from None
    if x >> 256 or y >> 256 or len(c3) != 32:
        raise DecryptionFailed("malformed SM2 ciphertext")
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big") + c3 + c2


def c1c2c3_to_c1c3c2(ciphertext: bytes) -> bytes:
    if len(ciphertext) < 97 or ciphertext[0] != 4:
        raise DecryptionFailed("malformed SM2 ciphertext")
    return ciphertext[:65] + ciphertext[-32:] + ciphertext[65:-32]


def c1c3c2_to_c1c2c3(ciphertext: bytes) -> bytes:
    c1, c3, c2 = _split_ciphertext(ciphertext)
    return c1 + c2 + c3


# -- internals ----------------------------------------------------------------

def _private(key) -> SM2PrivateKey:
    if isinstance(key, SM2PrivateKey):
        return key
    if isinstance(key, (bytes, bytearray, memoryview)):
        return SM2PrivateKey.from_bytes(bytes(key))
    raise InvalidKey("expected an SM2 private key")


def _public(key) -> SM2PublicKey:
    if isinstance(key, SM2PublicKey):
        return key
    if isinstance(key, SM2PrivateKey):
        return key.public_key
    if isinstance(key, (bytes, bytearray, memoryview)):
        return SM2PublicKey.from_bytes(bytes(key))
    raise InvalidKey("expected an SM2 public key")


def _pem(pem):
    try:
        return asn1.pem_decode(pem)
    except InvalidInput as exc:
        raise InvalidKey(str(exc)) from None


def _read_algorithm(reader: asn1.Reader) -> None:
    alg = reader.read_sequence()
    algorithm = alg.read(asn1.OBJECT_IDENTIFIER)
    if algorithm == _OID_EC_DER[2:]:
        if alg.read(asn1.OBJECT_IDENTIFIER) != _OID_SM2_DER[2:]:
            raise InvalidKey("key is not on the SM2 curve")
    elif algorithm != _OID_SM2_DER[2:]:
        raise InvalidKey("not an SM2 / EC key")
    alg.expect_end()


def _digest_int(digest: bytes) -> mpz:
    if len(digest) != 32:
        raise InvalidInput("SM2 digest must be 32 bytes (SM3)")
    return mpz(int.from_bytes(digest, "big"))


def _encode_signature(r, s, der: bool) -> bytes:
    if der:
        return asn1.sequence(asn1.integer(int(r)), asn1.integer(int(s)))
    return int(r).to_bytes(32, "big") + int(s).to_bytes(32, "big")


def _parse_signature(signature: bytes, der: bool) -> tuple[int, int]:
    signature = bytes(signature)
    if der:
        try:
            outer = asn1.Reader(signature)
            seq = outer.read_sequence()
            outer.expect_end()
            r = seq.read_integer()
            s = seq.read_integer()
            seq.expect_end()
        except InvalidInput:
            raise InvalidSignature("malformed DER SM2 signature") from None
        if r >> 256 or s >> 256:
            raise InvalidSignature("SM2 signature values out of range")
        return r, s
    if len(signature) != 64:
        raise InvalidSignature("raw SM2 signature must be 64 bytes (r||s)")
    return int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")


def _sign(key: SM2PrivateKey, e: mpz, k) -> tuple[mpz, mpz]:
    """(r, s) per GB/T 32918.2 section 6.1; k is drawn from the CSPRNG unless given."""
    fixed = k is not None
    while True:
        if not fixed:
            k = _random_scalar()
        x1, _ = sm2_curve.mul_base_secret(k)
        r = (e + x1) % _N
        if r != 0 and r + k != _N:
            # (1+d)^-1 * (k - r*d) == (1+d)^-1 * (k + r) - r  (mod n)
            s = (key._inverse() * (k + r) - r) % _N
            if s != 0:
                return r, s
        if fixed:
            raise InvalidInput("the given nonce does not produce a valid signature")


def _verify(key: SM2PublicKey, e: mpz, r: int, s: int) -> bool:
    if not (0 < r < N and 0 < s < N):
        return False
    t = (r + s) % N
    if t == 0:
        return False
    point = sm2_curve.combine_public(s, t, key.x, key.y)
    if point is None:
        return False
    return (e + point[0]) % _N == r


def _xor(data: bytes, pad: bytes) -> bytes:
    return (int.from_bytes(data, "big") ^ int.from_bytes(pad, "big")).to_bytes(len(data), "big")


def _encrypt(key: SM2PublicKey, message: bytes, k=None) -> bytes:
    if not message:
        raise InvalidInput("SM2 plaintext must not be empty")
    fixed = k is not None
    while True:
        if not fixed:
            k = _random_scalar()
        x1, y1 = sm2_curve.mul_base_secret(k)
        x2, y2 = sm2_curve.mul_point_secret(k, key.x, key.y)
        xb = int(x2).to_bytes(32, "big")
        yb = int(y2).to_bytes(32, "big")
        pad = kdf(xb + yb, len(message))
        if any(pad):
            c1 = b"\x04" + int(x1).to_bytes(32, "big") + int(y1).to_bytes(32, "big")
            return c1 + sm3_concat(xb, message, yb) + _xor(message, pad)
        if fixed:
            raise InvalidInput("the given nonce yields an all-zero key stream")


def _split_ciphertext(ciphertext: bytes) -> tuple[bytes, bytes, bytes]:
    ciphertext = bytes(ciphertext)
    if len(ciphertext) < 98 or ciphertext[0] != 4:
        raise DecryptionFailed("malformed SM2 ciphertext")
    return ciphertext[:65], ciphertext[65:97], ciphertext[97:]


def _decrypt(key: SM2PrivateKey, ciphertext: bytes) -> bytes:
    c1, c3, c2 = _split_ciphertext(ciphertext)
    x1 = int.from_bytes(c1[1:33], "big")
    y1 = int.from_bytes(c1[33:], "big")
    if not sm2_curve.is_on_curve(x1, y1):
        raise DecryptionFailed("SM2 ciphertext C1 is not a point on the curve")
    x2, y2 = sm2_curve.mul_point_secret(key._d, x1, y1)
    xb = int(x2).to_bytes(32, "big")
    yb = int(y2).to_bytes(32, "big")
    pad = kdf(xb + yb, len(c2))
    message = _xor(c2, pad)
    check = sm3_concat(xb, message, yb)
    if not any(pad) or not hmac.compare_digest(check, c3):
        raise DecryptionFailed("SM2 ciphertext failed its integrity check")
    return message
