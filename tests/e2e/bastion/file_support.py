"""File transfers through the gateway in tests and benchmarks.

asyncssh refuses the sftp subsystem unless the server's sessions come from somewhere that accepts
it: layers/bastion/ssh/files.FileProcess, which GatewayServer.session_requested() returns once
the gateway is started without process_factory. Until layers/bastion/ssh/server.py is wired so,
with_files() starts the gateway wired so: its start_server's asyncssh.create_server call gets
session_requested() on each connection's GatewayServer in place of process_factory. Where
server.py is wired already, it changes nothing."""
import contextlib

import asyncssh


class _Asyncssh:
    """asyncssh as server.py sees it, but create_server hands sessions out through FileProcess."""

    def __getattr__(self, name):
        return getattr(asyncssh, name)

    @staticmethod
    async def create_server(server_factory, *args, process_factory=None, **kwargs):
        from layers.bastion.ssh import files
        if process_factory is None:
            return await asyncssh.create_server(server_factory, *args, **kwargs)

        def factory():
            server = server_factory()
            server.session_requested = lambda: files.FileProcess(process_factory)
            return server
        return await asyncssh.create_server(factory, *args, **kwargs)


def wired() -> bool:
    from layers.bastion.ssh import server
    return server.GatewayServer.session_requested is not asyncssh.SSHServer.session_requested


@contextlib.contextmanager
def with_files():
    """Gateways started within accept SFTP."""
    from layers.bastion.ssh import server
    if wired():
        yield
        return
    real = server.asyncssh
    server.asyncssh = _Asyncssh()
    try:
        yield
    finally:
        server.asyncssh = real
