"""File transfers through the gateway: the SFTP subsystem (sftp_relay.py, also `sftp-server` run
as a command), legacy scp (scp_relay.py) and rsync (transfer_commands.py), under the ACL's file
permissions (layers/bastion/file_policy.py). relay_for() says whether a channel is one (and
returns its relay, or its refusal), else None.

asyncssh refuses a subsystem request before any process factory sees it unless the server
serves SFTP itself; FileProcess is a server process that accepts the sftp subsystem and hands it
to the process factory like a shell or a command. The gateway's GatewayServer returns one from
session_requested() (and is started without process_factory) so that SFTP reaches relay_for."""
import inspect
from typing import Awaitable, Optional

import asyncssh

from layers.bastion import file_policy as fp
from layers.bastion.ssh import scp_relay, sftp_relay, transfer_commands
from layers.bastion.ssh.file_log import Transfer
from layers.bastion.ssh.login_flow import Login


def relay_for(process: asyncssh.SSHServerProcess, login: Login) -> Optional[Awaitable[None]]:
    if process.subsystem == "sftp" or not process.subsystem and transfer_commands.is_sftp_server(process.command):
        return sftp_relay.relay(process, login)
    if process.subsystem:
        return None
    command = scp_relay.parse(process.command)
    if command is not None:
        return scp_relay.relay(process, login, command)
    if scp_relay.server_mode(process.command):
        return refused(process, login, fp.SCP, (fp.UPLOAD, "", "scp options the gateway does not follow "
                                                             "(it relays -t/-f with -r, -p, -d, -v)"))
    refusal = transfer_commands.rsync_refusal(process.command, fp.FilePolicy.of(login.grant.acls))
    if refusal is not None:
        return refused(process, login, transfer_commands.RSYNC, refusal)
    return None


async def refused(process: asyncssh.SSHServerProcess, login: Login, protocol: str, refusal: tuple) -> None:
    """A file-transfer command the file switches refuse: recorded as a file session with the
    refused operation, the reason on stderr, exit status 1; the target never sees it."""
    method, path, why = refusal
    transfer = Transfer(process, login, protocol)
    await transfer.start()
    transfer.log.record(method, path, action=fp.REFUSED)
    process.stderr.write(f"Guardzone: {why}\r\n".encode())
    process.exit(1)
    await transfer.finish()


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
