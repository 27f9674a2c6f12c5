"""A target host on loopback for the local stack and the tests: an SSH server (asyncssh) that
runs a real bash — in a PTY for a terminal session, with pipes for a command or a shell without
a terminal — as the user that
runs the stack, accepting one account name and password (or public key). SFTP and scp (`scp -t`,
`scp -f`) work on the real filesystem, relative paths from the home folder.

Debian's openssh-server is the better target where it is installed; this one needs nothing from
the system and starts in milliseconds, which is what the local stack and the tests want.
"""
import asyncio
import fcntl
import os
import pty
import signal
import struct
import termios
from typing import Optional

import asyncssh

from infra.loop_thread import LoopServer

READ_BYTES = 65536


def _winsize(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height or 24, width or 80, 0, 0))


class _Server(asyncssh.SSHServer):
    def __init__(self, host: "DemoHost") -> None:
        self.host = host

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == self.host.username and password == self.host.password

    def public_key_auth_supported(self) -> bool:
        return bool(self.host.authorized_keys)

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == self.host.username and any(
            key.export_public_key() == k.export_public_key() for k in self.host.authorized_keys)


async def _run_bash(process: asyncssh.SSHServerProcess, home: str) -> None:
    env = {"HOME": home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "TERM": process.get_terminal_type() or "dumb", "PS1": r"\u@demo:\w$ ", "SHELL": "/bin/bash"}
    command = process.command
    if process.get_terminal_type() is None:
        child = await asyncio.create_subprocess_exec(
            "/bin/bash", "--norc", "--noprofile", *(["-c", command] if command else ["-s"]), cwd=home, env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

        async def pump(source, sink) -> None:
            while True:
                data = await source.read(READ_BYTES)
                if not data:
                    return
                sink.write(data)

        async def feed() -> None:
            while True:
                data = await process.stdin.read(READ_BYTES)
                if not data:
                    break
                child.stdin.write(data)
            child.stdin.close()

        typing = asyncio.ensure_future(feed())
        await asyncio.gather(pump(child.stdout, process.stdout), pump(child.stderr, process.stderr))
        status = await child.wait()
        typing.cancel()
        process.exit(status if status >= 0 else 128 - status)
        return
    master, slave = pty.openpty()
    width, height = process.get_terminal_size()[:2]
    _winsize(master, width, height)
    args = ["/bin/bash", "--norc", "--noprofile"] + (["-c", command] if command else ["-i"])
    child = await asyncio.create_subprocess_exec(*args, cwd=home, env=env, stdin=slave, stdout=slave, stderr=slave,
                                                 start_new_session=True)
    os.close(slave)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def readable() -> None:
        try:
            data = os.read(master, READ_BYTES)
        except OSError:
            data = b""
        if data:
            try:
                process.stdout.write(data)
            except BrokenPipeError:     # the channel is gone (hung up): the shell's last words are dropped
                pass
        else:
            loop.remove_reader(master)
            done.set()

    loop.add_reader(master, readable)

    async def keys() -> None:
        while True:
            try:
                data = await process.stdin.read(READ_BYTES)
            except asyncssh.TerminalSizeChanged as exc:
                _winsize(master, exc.width, exc.height)
                continue
            except asyncssh.SignalReceived as exc:
                sig = getattr(signal, "SIG" + exc.signal, None)
                if sig is not None:
                    os.killpg(child.pid, sig)
                continue
            except asyncssh.BreakReceived:
                continue
            if not data:
                return
            os.write(master, data)

    async def hangup() -> None:
        """The channel gone (the client or its connection closed): the shell is hung up, as sshd does."""
        await process.channel.wait_closed()
        if child.returncode is None:
            try:
                os.killpg(child.pid, signal.SIGHUP)
            except ProcessLookupError:
                pass

    typing = asyncio.ensure_future(keys())
    hanging = asyncio.ensure_future(hangup())
    status = await child.wait()
    await asyncio.wait_for(done.wait(), 2) if not done.is_set() else None
    typing.cancel()
    hanging.cancel()
    loop.remove_reader(master)
    os.close(master)
    await process.stdout.drain()
    process.exit(status if status >= 0 else 128 - status)


class _Files(asyncssh.SFTPServer):
    """SFTP (and scp, which asyncssh serves through it) on the real filesystem, relative paths
    from the demo home, as OpenSSH's sftp-server starts in the account's home."""

    def __init__(self, chan, home: str) -> None:
        super().__init__(chan)
        self._home = os.fsencode(home)

    def map_path(self, path: bytes) -> bytes:
        return os.path.join(self._home, path or b".")


class DemoHost:
    """The server in a thread of its own; `port` once started."""

    def __init__(self, username: str, password: str, *, home: Optional[str] = None, port: int = 0,
                 host_key: Optional[asyncssh.SSHKey] = None, authorized_keys=()) -> None:
        self.username, self.password = username, password
        self.home = home or os.path.expanduser("~")
        self.host_key = host_key or asyncssh.generate_private_key("ssh-ed25519")
        self.authorized_keys = list(authorized_keys)
        self._server = LoopServer("demo-host", lambda: asyncssh.create_server(
            lambda: _Server(self), "127.0.0.1", port, server_host_keys=[self.host_key],
            process_factory=lambda p: _run_bash(p, self.home), encoding=None, line_editor=False,
            sftp_factory=lambda chan: _Files(chan, self.home), allow_scp=True))

    @property
    def port(self) -> Optional[int]:
        return self._server.port

    def start(self) -> "DemoHost":
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
