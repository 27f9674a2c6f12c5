"""TC3-HMAC-SHA256, as the API documents it (接口签名v3)."""
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Optional

from layers.gateway.errors import auth

ALGORITHM = "TC3-HMAC-SHA256"
_AUTH = re.compile(
    r"^TC3-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+)\s*,\s*SignedHeaders=(?P<sh>[^,\s]+)\s*,"
    r"\s*Signature=(?P<sig>[0-9a-fA-F]{64})\s*$")


@dataclass(frozen=True)
class Authorization:
    secret_id: str
    date: str
    service: str
    signed_headers: tuple
    signature: str


def parse_authorization(header: str) -> Authorization:
    match = _AUTH.match(header.strip())
    if not match:
        raise auth("SignatureFailure", "The Authorization header is malformed.")
    parts = match.group("cred").split("/")
    if len(parts) != 4 or parts[3] != "tc3_request" or not parts[0]:
        raise auth("SignatureFailure", "The Credential of the Authorization header is malformed: "
                   "expected SecretId/Date/service/tc3_request.")
    signed = tuple(match.group("sh").lower().split(";"))
    if "content-type" not in signed or "host" not in signed:
        raise auth("SignatureFailure", "SignedHeaders must include content-type and host.")
    if list(signed) != sorted(signed):
        raise auth("SignatureFailure", "SignedHeaders must be sorted.")
    return Authorization(parts[0], parts[1], parts[2], signed, match.group("sig").lower())


def scope_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")


def canonical_request(method: str, canonical_query: str, headers: dict, signed_headers: Iterable[str],
                      payload_hash: str, *, lower_values: bool = False) -> str:
    lines = []
    for name in signed_headers:
        value = headers.get(name, "").strip()
        lines.append(f"{name}:{value.lower() if lower_values else value}\n")
    return "\n".join([method, "/", canonical_query, "".join(lines), ";".join(signed_headers), payload_hash])


def string_to_sign(timestamp: str, date: str, service: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{date}/{service}/tc3_request\n{digest}"


def signing_key(secret_key: str, date: str, service: str) -> bytes:
    k_date = hmac.new(("TC3" + secret_key).encode("utf-8"), date.encode("utf-8"), hashlib.sha256).digest()
    k_service = hmac.new(k_date, service.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()


def sign(secret_key: str, date: str, service: str, to_sign: str) -> str:
    return hmac.new(signing_key(secret_key, date, service), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def payload_hash(body: bytes, headers: dict) -> str:
    if headers.get("x-tc-content-sha256", "").strip() == "UNSIGNED-PAYLOAD":
        return hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()
    return hashlib.sha256(body).hexdigest()


def verify(*, secret_key: str, authz: Authorization, method: str, headers: dict, timestamp: str,
           canonical_queries: Iterable[str], body_hash: str) -> bool:
    """True when any candidate canonical query string reproduces the signature.

    More than one candidate exists only for GET behind a gateway that hands us decoded query
    parameters (see layers/gateway/request.py); every candidate encodes the same parameters.
    """
    key = signing_key(secret_key, authz.date, authz.service)
    matched = False
    for query in canonical_queries:
        for lower in (False, True):
            canonical = canonical_request(method, query, headers, authz.signed_headers, body_hash,
                                          lower_values=lower)
            expected = hmac.new(key, string_to_sign(timestamp, authz.date, authz.service, canonical)
                                .encode("utf-8"), hashlib.sha256).hexdigest()
            matched |= hmac.compare_digest(expected, authz.signature)
            if matched:
                return True
    return False


def authorization_header(secret_id: str, date: str, service: str, signature: str,
                         signed_headers: Optional[Iterable[str]] = None) -> str:
    sh = ";".join(signed_headers or ("content-type", "host"))
    return f"{ALGORITHM} Credential={secret_id}/{date}/{service}/tc3_request, SignedHeaders={sh}, Signature={signature}"
