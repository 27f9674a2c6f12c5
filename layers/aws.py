"""boto3 clients, built once per (service, region) and reused.

Locally GZ_AWS_ENDPOINT points every client at the moto server; boto3's own
AWS_ENDPOINT_URL_<SERVICE> variables still override one service (tests use that to
simulate a queue outage).
"""
import os
import threading
from typing import Optional

import boto3
from botocore.config import Config

from layers.config import settings
from layers.regions import aws_region

_clients: dict = {}
_lock = threading.Lock()
_BOTO_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"},
                      connect_timeout=2, read_timeout=10, tcp_keepalive=True)


def client(service: str, tencent_region: Optional[str] = None, *, aws_region_name: Optional[str] = None):
    region = aws_region_name or (aws_region(tencent_region) if tencent_region else settings().aws_region)
    endpoint = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or settings().aws_endpoint or None
    key = (service, region, endpoint)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            found = boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint,
                                                   config=_BOTO_CONFIG)
            _clients[key] = found
    return found


def reset_clients() -> None:
    with _lock:
        _clients.clear()
