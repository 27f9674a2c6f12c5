"""File transfers through the gateway: the SFTP subsystem and legacy scp, under the ACL's file
permissions. relay_for() says whether a channel is one (and returns its relay), else None."""
from typing import Awaitable, Optional

import asyncssh

from layers.bastion.ssh.login_flow import Login


def relay_for(process: asyncssh.SSHServerProcess, login: Login) -> Optional[Awaitable[None]]:
    return None
