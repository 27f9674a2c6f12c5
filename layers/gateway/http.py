"""The bridge from Chalice's request to the gateway and back."""
import threading
from typing import Optional

from chalice import Response

from layers.gateway import envelope
from layers.gateway.pipeline import Gateway
from layers.gateway.request import from_chalice
from layers.timeids import uuid7

_gateway: Optional[Gateway] = None
_lock = threading.Lock()


def gateway() -> Gateway:
    global _gateway
    if _gateway is None:
        with _lock:
            if _gateway is None:
                _gateway = Gateway()
    return _gateway


def set_gateway(gw: Optional[Gateway]) -> None:
    global _gateway
    _gateway = gw


def handle_chalice(request) -> Response:
    status, headers, body = gateway().handle(from_chalice(request))
    # A str body: Lambda serialises the proxy response as JSON, which bytes cannot be.
    return Response(body=body.decode("utf-8"), status_code=status, headers=headers)


def unknown_path():
    """The answer for a path other than `/`: no action is called there, so no event is recorded."""
    return 200, dict(envelope.HEADERS), envelope.error(
        str(uuid7()), "InvalidAction", "The request path does not exist: send API requests to /.")
