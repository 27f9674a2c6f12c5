"""The bastion's SSH gateway as a service: `python -m infra.ssh_gateway [--port 8322]
[--mysql-port 8323]` (the container task deployed beside the functions), or a thread of the local
stack (SshGateway). Beside SSH it serves the MySQL proxy (layers/bastion/mysql/) on its own port
and event loop (uvloop's: mysql_proxy.new_loop), and the console's H5 terminal
(layers/bastion/ssh/web_terminal.py: a WebSocket server on the SSH gateway's own event loop,
`--web-port`, GZ_WEB_TERMINAL_PORT, default 8324).

Its host key is generated once and kept sealed through the key store in the bastion table
(pk "gateway", sk "hostkey"), so every gateway of a deployment, and a restarted local stack,
shows clients the same key. On start it finishes the recordings a stopped gateway left in its
spool (layers/bastion/recording.recover)."""
import argparse
import asyncio
import logging
import os
import time
from typing import Optional

import asyncssh

from infra.loop_thread import LoopServer
from layers import aws, keystore, logs
from layers.bastion import config, recording, sessions
from layers.bastion.mysql import proxy as mysql_proxy
from layers.bastion.ssh import web_terminal
from layers.bastion.ssh.server import close_connections, start_server

log = logging.getLogger("guardzone.bastion.gateway")
DEFAULT_PORT = 8322
_PURPOSE, _OWNER = "bastion/gateway-host-key", "gateway"
_CONTEXT = {"service": "bastion", "account": _OWNER, "field": "host-key"}


def port_setting() -> int:
    return int(os.environ.get("GZ_SSH_PORT") or DEFAULT_PORT)


def host_key() -> asyncssh.SSHKey:
    """The gateway's host key: made and sealed on first use, unsealed after."""
    ddb, key = aws.client("dynamodb"), {"pk": {"S": "gateway"}, "sk": {"S": "hostkey"}}
    item = ddb.get_item(TableName=config.table(), Key=key, ConsistentRead=True).get("Item")
    if item is None:
        fresh = asyncssh.generate_private_key("ssh-ed25519")
        sealed = keystore.seal(_OWNER, _PURPOSE, fresh.export_private_key(), _CONTEXT)
        try:
            ddb.put_item(TableName=config.table(), Item={**key, "sealed": {"S": sealed}},
                         ConditionExpression="attribute_not_exists(pk)")
            return fresh
        except ddb.exceptions.ConditionalCheckFailedException:
            item = ddb.get_item(TableName=config.table(), Key=key, ConsistentRead=True)["Item"]
    return asyncssh.import_private_key(keystore.open(_OWNER, _PURPOSE, item["sealed"]["S"], _CONTEXT))


def finish_left_sessions() -> int:
    """The recordings a stopped gateway left in the spool go up, and their sessions end (Status 4:
    the gateway went away with them) with the commands they had counted."""
    recovered = recording.recover()
    for info in recovered:
        parts = info.key.split("/")
        account, sid = parts[1], parts[-1][:-len(".cast")]
        try:
            sessions.finish(account, sid, end_ms=int(time.time() * 1000), status=4, size=info.size,
                            record_key=info.key, record_sha256=info.sha256, record_size=info.size)
        except LookupError:
            pass                    # a session that had ended, or was never started
    if recovered:
        log.warning("finished %d recordings a stopped gateway had left", len(recovered))
    return len(recovered)


class SshGateway:
    """The gateway on its own event loop in a thread; `port` once started. With `mysql_port`
    (0: any free one) the MySQL proxy runs beside it, on a loop of its own (`mysql_port` once
    started); without it, no MySQL proxy. With `web_port` (0: any free one) the H5 terminal's
    WebSocket server runs on the SSH gateway's loop (`web_port` once started)."""

    def __init__(self, host: str = "127.0.0.1", port: Optional[int] = None, mysql_port: Optional[int] = None,
                 web_port: Optional[int] = None) -> None:
        self.host = host
        self._port = port_setting() if port is None else port
        self._mysql_port = mysql_port
        self._web_port = web_port
        self._server: Optional[LoopServer] = None
        self._mysql: Optional[LoopServer] = None
        self._web = None

    @property
    def web_port(self) -> Optional[int]:
        return self._web.sockets[0].getsockname()[1] if self._web else None

    @property
    def mysql_port(self) -> Optional[int]:
        return self._mysql.port if self._mysql else None

    @property
    def port(self) -> int:
        return self._server.port if self._server and self._server.port is not None else self._port

    def start(self) -> "SshGateway":
        key = host_key()
        finish_left_sessions()
        self._server = LoopServer("ssh-gateway", lambda: start_server(self.host, self._port, key)).start()
        if self._web_port is not None:
            self._web = asyncio.run_coroutine_threadsafe(web_terminal.start_server(self.host, self._web_port),
                                                         self._server.loop).result(15)
        if self._mysql_port is not None:
            self._mysql = LoopServer("mysql-proxy", lambda: mysql_proxy.start_server(self.host, self._mysql_port),
                                     new_loop=mysql_proxy.new_loop).start()
        return self

    def stop(self) -> None:
        """Sessions under way end (recorded and searchable) before the loop stops."""
        if self._mysql:
            self._mysql.stop(drain=mysql_proxy.close_connections)
        if self._server:
            self._server.stop(drain=self._drain)

    def _drain(self) -> None:
        if self._web is not None:
            self._web.close(close_connections=False)
            web_terminal.close_connections()
        close_connections()

    def wait(self) -> None:
        self._server.thread.join()


def main() -> None:
    ap = argparse.ArgumentParser(description="The bastion's SSH gateway")
    ap.add_argument("--host", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=None, help=f"default GZ_SSH_PORT or {DEFAULT_PORT}")
    ap.add_argument("--web-port", type=int, default=None,
                    help=f"the H5 terminal's WebSocket port, default GZ_WEB_TERMINAL_PORT or {web_terminal.DEFAULT_PORT}; "
                         "-1: none")
    ap.add_argument("--mysql-port", type=int, default=None,
                    help=f"the MySQL proxy's port, default GZ_MYSQL_PORT or {mysql_proxy.DEFAULT_PORT}; -1: none")
    args = ap.parse_args()
    logs.configure()
    mysql_port = mysql_proxy.port_setting() if args.mysql_port is None else args.mysql_port
    web_port = web_terminal.port_setting() if args.web_port is None else args.web_port
    gateway = SshGateway(args.host, args.port, mysql_port if mysql_port >= 0 else None,
                         web_port if web_port >= 0 else None).start()
    log.warning("SSH gateway listening on %s:%d", args.host, gateway.port)
    print(f"listening on {args.host}:{gateway.port}", flush=True)
    if gateway.mysql_port:
        print(f"MySQL proxy listening on {args.host}:{gateway.mysql_port}", flush=True)
    if gateway.web_port:
        print(f"H5 terminal (WebSocket) listening on {args.host}:{gateway.web_port}", flush=True)
    try:
        gateway.wait()
    except KeyboardInterrupt:
        gateway.stop()


if __name__ == "__main__":
    main()
