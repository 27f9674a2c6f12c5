"""The bastion's SSH gateway as a service: `python -m infra.ssh_gateway [--port 8322]` (the
container task deployed beside the functions), or a thread of the local stack (SshGateway).

Its host key is generated once and kept sealed through the key store in the bastion table
(pk "gateway", sk "hostkey"), so every gateway of a deployment, and a restarted local stack,
shows clients the same key. On start it finishes the recordings a stopped gateway left in its
spool (layers/bastion/recording.recover)."""
import argparse
import logging
import os
import time
from typing import Optional

import asyncssh

from infra.loop_thread import LoopServer
from layers import aws, keystore, logs
from layers.bastion import config, recording, sessions
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
    """The gateway on its own event loop in a thread; `port` once started."""

    def __init__(self, host: str = "127.0.0.1", port: Optional[int] = None) -> None:
        self.host = host
        self._port = port_setting() if port is None else port
        self._server: Optional[LoopServer] = None

    @property
    def port(self) -> int:
        return self._server.port if self._server and self._server.port is not None else self._port

    def start(self) -> "SshGateway":
        key = host_key()
        finish_left_sessions()
        self._server = LoopServer("ssh-gateway", lambda: start_server(self.host, self._port, key)).start()
        return self

    def stop(self) -> None:
        """Sessions under way end (recorded and searchable) before the loop stops."""
        if self._server:
            self._server.stop(drain=close_connections)

    def wait(self) -> None:
        self._server.thread.join()


def main() -> None:
    ap = argparse.ArgumentParser(description="The bastion's SSH gateway")
    ap.add_argument("--host", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=None, help=f"default GZ_SSH_PORT or {DEFAULT_PORT}")
    args = ap.parse_args()
    logs.configure()
    gateway = SshGateway(args.host, args.port).start()
    log.warning("SSH gateway listening on %s:%d", args.host, gateway.port)
    print(f"listening on {args.host}:{gateway.port}", flush=True)
    try:
        gateway.wait()
    except KeyboardInterrupt:
        gateway.stop()


if __name__ == "__main__":
    main()
