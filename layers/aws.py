"""boto3 clients, built once per (service, region) and reused.

Locally GZ_AWS_ENDPOINT points every client at the moto server; boto3's own
AWS_ENDPOINT_URL_<SERVICE> variables still override one service (tests use that to
simulate a queue outage). A client of a loopback endpoint uses the local stack's dummy keys when
the usual credential chain finds none, so `guardzone ...` needs only GZ_AWS_ENDPOINT; with any
other endpoint, or none (deployed), the chain alone decides.
"""
import ipaddress
import os
import threading
from functools import lru_cache
from typing import Optional
from urllib.parse import urlsplit

from layers.config import settings
from layers.regions import aws_region

_clients: dict = {}
_lock = threading.Lock()
# What the local stack gives its own processes (infra/services.py); moto accepts any keys.
_LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


# Streams the process writes and checksums itself (session recordings: their SHA-256 is kept with
# the session): the body is neither hashed into the signature nor given a CRC32, which costs a
# core's worth of hashing per ~500 MB; TLS protects it on the way where deployed.
# boto3 is imported with the first client, not with this module: a function's cold start does not
# pay for it before it needs AWS (~0.15 s of a 1,769 MB Lambda's import).
@lru_cache(maxsize=2)
def _config(bulk: bool):
    from botocore.config import Config
    base = Config(retries={"max_attempts": 2, "mode": "standard"},
                  connect_timeout=2, read_timeout=10, tcp_keepalive=True)
    return base.merge(Config(s3={"payload_signing_enabled": False},
                             request_checksum_calculation="when_required")) if bulk else base


def client(service: str, tencent_region: Optional[str] = None, *, aws_region_name: Optional[str] = None,
           bulk: bool = False):
    region = aws_region_name or (aws_region(tencent_region) if tencent_region else settings().aws_region)
    endpoint = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or settings().aws_endpoint or None
    key = (service, region, endpoint, bulk)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            import boto3.session
            found = boto3.session.Session(**_credentials_for(endpoint)).client(
                service, region_name=region, endpoint_url=endpoint, config=_config(bulk))
            _clients[key] = found
    return found


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=None)
def _credentials_for(endpoint: Optional[str]) -> dict:
    """Session arguments: none (the credential chain), or the dummy keys for a loopback endpoint
    when the chain has nothing. Decided once per endpoint: a chain that finds nothing may have
    waited on the instance metadata service."""
    import boto3.session
    if endpoint and _is_loopback(endpoint) and boto3.session.Session().get_credentials() is None:
        return _LOCAL_CREDENTIALS
    return {}


def reset_clients() -> None:
    with _lock:
        _clients.clear()
        _credentials_for.cache_clear()
