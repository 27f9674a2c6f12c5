"""File transfers through the gateway: the SFTP subsystem (sftp_relay.py) and legacy scp
(scp_relay.py), under the ACL's file permissions (layers/bastion/file_policy.py). relay_for()
says whether a channel is one (and returns its relay), else None.

asyncssh refuses a subsystem request before any process factory sees it unless the server
serves SFTP itself; FileProcess is a server process that accepts the sftp subsystem and hands it
to the process factory like a shell or a command. The gateway's GatewayServer returns one from
session_requested() (and is started without process_factory) so that SFTP reaches relay_for."""
import inspect
from typing import Awaitable, Optional

import asyncssh

from layers.bastion.ssh import scp_relay, sftp_relay
from layers.bastion.ssh.login_flow import Login


def relay_for(process: asyncssh.SSHServerProcess, login: Login) -> Optional[Awaitable[None]]:
    if process.subsystem == "sftp":
        return sftp_relay.relay(process, login)
    command = scp_relay.parse(process.command) if not process.subsystem else None
    if command is not None:
        return scp_relay.relay(process, login, command)
    return None


class FileProcess(asyncssh.SSHServerProcess):
    """A server process (as process_factory makes) that also accepts the sftp subsystem, which
    the process factory then relays."""

    def __init__(self, process_factory) -> None:
        super().__init__(process_factory, None, 0, False)

    def subsystem_requested(self, subsystem: str) -> bool:
        return subsystem == "sftp"          # the only subsystem relayed; others are refused

    def session_started(self) -> None:
        if self._chan.get_subsystem() != "sftp":
            super().session_started()
            return
        # as asyncssh starts a shell or a command: the process factory gets the channel's streams
        stdin = asyncssh.SSHReader(self, self._chan)
        stdout = asyncssh.SSHWriter(self, self._chan)
        stderr = asyncssh.SSHWriter(self, self._chan, asyncssh.EXTENDED_DATA_STDERR)
        handler = self._session_factory(stdin, stdout, stderr)
        if inspect.isawaitable(handler):
            self._conn.create_task(handler, stdin.logger)
