"""A file-transfer channel (SFTP or scp) as a bastion session and its file operations as "file"
messages on the session-log queue (layers/bastion/session_log.py), sent by the same sender as
the commands of terminal sessions (commands.py).

The session: Kind 3 (file), Protocol "SFTP" or "SCP", live while the channel is open and
indexed when it closes; its Size is the bytes of file data it carried and its Count the file
operations recorded. Each record: Method (file_policy: 1 upload ... 9 delete folder), FileCurr
(the file, or the old name of a rename), FileNew (the new name of a rename), Size (the bytes
read or written, or the size of a deleted or refused file), Protocol, Action (1 allowed, 2
refused)."""
import asyncio
import time
import uuid
from typing import Optional

from layers.bastion import file_capture, file_policy, sessions
from layers.bastion.ssh import commands
from layers.bastion.ssh.login_flow import Login

ENDED, FAILED = 2, 4


class FileLog(commands.Publisher):
    """The file records of one session."""

    def __init__(self, grant, sid: str, started: float, from_ip: str, protocol: str) -> None:
        super().__init__(grant, sid, started, from_ip)
        self.base = {**self.base, "Type": "file"}
        self.protocol = protocol
        self.count = 0

    def file_message(self, method: int, path: str, *, new: Optional[str] = None, size: Optional[int] = None,
                     action: int = file_policy.ALLOWED, protocol: Optional[str] = None) -> dict:
        message = {**self.base, "EventId": str(uuid.uuid4()), "Time": self.stamp(), "Method": method,
                   "FileCurr": path, "Protocol": protocol or self.protocol, "Action": action}
        if new is not None:
            message["FileNew"] = new
        if size is not None:
            message["Size"] = int(size)
        return message

    def record(self, method: int, path: str, **kw) -> None:
        """One file operation, handed to the sender thread (flush() waits for it)."""
        self.count += 1
        self.submit([self.file_message(method, path, **kw)])


class Transfer:
    """A file-transfer channel: its session record and its file log."""

    def __init__(self, process, login: Login, protocol: str) -> None:
        self.process = process
        self.login = login
        self.grant = login.grant
        self.policy = file_policy.FilePolicy.of(self.grant.acls)
        self.sid = str(uuid.uuid4())
        self.started = time.time()
        self.status = ENDED
        self.protocol = protocol
        self.bytes = 0              # file data carried, both ways
        self.log = FileLog(self.grant, self.sid, self.started, login.peer, protocol)
        self.kept = file_capture.SessionFiles(self.grant.owner, self.sid, self.started)   # off by default

    async def start(self) -> None:
        info = commands.session_info(self.grant, self.login.peer, self.sid, self.started, self.protocol, 3)
        await asyncio.get_running_loop().run_in_executor(None, sessions.start, self.grant.owner, info)

    async def finish(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.log.flush)
        await loop.run_in_executor(None, self.kept.wait)
        await loop.run_in_executor(None, lambda: sessions.finish(
            self.grant.owner, self.sid, end_ms=int(time.time() * 1000), status=self.status, size=self.bytes,
            count=self.log.count, danger_count=0, record_key="", record_sha256="", record_size=0))
