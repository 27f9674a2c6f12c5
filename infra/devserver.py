"""Chalice's local server (what `chalice local` runs), tuned for keep-alive API clients.

BaseHTTPRequestHandler writes the status line and headers, then the body, in separate sends;
with Nagle's algorithm and the client's delayed ACK every keep-alive request then waits ~40 ms.
TCP_NODELAY on each accepted socket removes that wait.
"""
import logging
import socket
import threading

from chalice.config import Config
from chalice.local import (ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer,
                           ThreadedHTTPServer)

log = logging.getLogger("guardzone.http")


class NoDelayServer(ThreadedHTTPServer):
    allow_reuse_address = True
    request_queue_size = 128

    def get_request(self):
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr


class QuietHandler(ChaliceRequestHandler):
    def log_message(self, fmt, *args):  # one line per request would dominate the cost
        log.debug("%s " + fmt, self.address_string(), *args)


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
