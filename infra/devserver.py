"""Chalice's local server (what `chalice local` runs), tuned for keep-alive API clients.

BaseHTTPRequestHandler writes the status line and headers, then the body, in separate sends;
with Nagle's algorithm and the client's delayed ACK every keep-alive request then waits ~40 ms.
TCP_NODELAY on each accepted socket removes that wait.
"""
import logging
import re
import socket
import threading

from chalice.config import Config
from chalice.local import (ChaliceRequestHandler, CustomLocalChalice, ForbiddenError, LocalChalice,
                           LocalDevServer, ThreadedHTTPServer)

from layers.gateway.http import unknown_path

log = logging.getLogger("guardzone.http")
_QUERY = re.compile(r"\?[^\s\"']*")


class NoDelayServer(ThreadedHTTPServer):
    allow_reuse_address = True
    request_queue_size = 128

    def get_request(self):
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr


class QuietHandler(ChaliceRequestHandler):
    def log_message(self, fmt, *args):  # debug only: one line per request would dominate the cost
        if log.isEnabledFor(logging.DEBUG):
            # without the query string: a GET carries its parameters (passwords, plaintexts) and
            # a v1 signature there
            log.debug("%s %s", self.address_string(), _QUERY.sub("?…", fmt % args))

    def _send_error_response(self, error) -> None:
        # A path no route serves: the Tencent envelope API Gateway's MISSING_AUTHENTICATION_TOKEN
        # response gives deployed (infra/resources.json), not Chalice's {"message": ...} 403.
        if isinstance(error, ForbiddenError):
            status, headers, body = unknown_path()
            self._send_http_response(status, headers, body)
        else:
            super()._send_error_response(error)


def make_server(app, host: str, port: int, project_dir: str = ".") -> LocalDevServer:
    if not isinstance(app, LocalChalice):
        # What chalice.local.create_local_server does: a thread-local current_request.
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    config = Config.create(chalice_app=app, project_dir=project_dir, chalice_stage="dev",
                           app_name=app.app_name)
    return LocalDevServer(app, config, host, port, handler_cls=QuietHandler, server_cls=NoDelayServer)


class ServerThread:
    def __init__(self, app, host: str, port: int) -> None:
        self.server = make_server(app, host, port)
        self.port = self.server.server.server_address[1]
        self._thread = threading.Thread(target=self.server.server.serve_forever, name="http", daemon=True)

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.server.shutdown()
        self.server.server.server_close()
        self._thread.join(timeout=5)
