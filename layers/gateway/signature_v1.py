"""HmacSHA1 / HmacSHA256 query-string signatures (接口签名v1)."""
import base64
import hashlib
import hmac
from typing import Iterable, Tuple

METHODS = {"HmacSHA1": hashlib.sha1, "HmacSHA256": hashlib.sha256}


def digest_for(signature_method: str):
    # Only an explicit HmacSHA256 selects SHA-256; anything else is verified as HmacSHA1.
    return hashlib.sha256 if signature_method == "HmacSHA256" else hashlib.sha1


def string_to_sign(method: str, host: str, pairs: Iterable[Tuple[str, str]]) -> str:
    # The official SDKs sign parameter names with '_' written as '.'; values are raw (not URL-encoded).
    items = sorted((k.replace("_", "."), v) for k, v in pairs if k != "Signature")
    return f"{method}{host}/?" + "&".join(f"{k}={v}" for k, v in items)


def sign(secret_key: str, to_sign: str, signature_method: str = "HmacSHA1") -> str:
    mac = hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), digest_for(signature_method))
    return base64.b64encode(mac.digest()).decode("ascii")


def verify(secret_key: str, to_sign: str, signature: str, signature_method: str) -> bool:
    return hmac.compare_digest(sign(secret_key, to_sign, signature_method).encode(), signature.encode())
