"""The bastion's SSH gateway in tests: a demo target (a real bash behind asyncssh), a demo bastion
for a fresh account made through the API, the gateway on a free port, and an asyncssh client that
answers the gateway's prompts."""
import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional

import asyncssh
import pyotp


def run(coro, timeout: float = 240):
    """A test's scenario on a loop of its own. One waiting on a shell or a target that never
    answers fails after `timeout` seconds instead of holding up the suite. The loop is left open:
    some tests close, after the scenario, a connection it returned."""
    return asyncio.new_event_loop().run_until_complete(asyncio.wait_for(coro, timeout))


class Clock:
    """The login clock, moved a time-step on for each code asked for: a TOTP step is accepted
    once, and tests log in more often than every 30 s."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.offset)

    def next_code(self, secret: str) -> str:
        self.offset += 30
        return pyotp.TOTP(secret).at(self.now())


@dataclass
class Demo:
    account: dict
    kept: dict
    target: object
    target_password: str
    clock: Clock

    @property
    def login(self) -> str:
        return f"{self.kept['user']}/root/127.0.0.1"

    def code(self) -> str:
        return self.clock.next_code(self.kept["totp_secret"])


class Answers(asyncssh.SSHClient):
    """Answers keyboard-interactive prompts by their text; remembers what the gateway said."""

    def __init__(self, answers: Dict[str, str]) -> None:
        self.answers = answers
        self.prompts: List[str] = []
        self.notices: List[str] = []

    def kbdint_auth_requested(self) -> str:
        return ""

    def kbdint_challenge_received(self, name, instructions, lang, prompts):
        if instructions:
            self.notices.append(instructions.strip())
        out = []
        for prompt, _echo in prompts:
            self.prompts.append(prompt)
            key = max((k for k in self.answers if prompt.startswith(k)), key=len, default=None)
            answer = self.answers.get(key, "") if key else ""
            out.append(answer(instructions) if callable(answer) else answer)     # from what was shown
        return out

    def password_auth_requested(self) -> Optional[str]:
        # Once: a client that offered the same password again after a refusal would be held until
        # the login timeout instead of being told no.
        return self.answers.pop("password-method", None)


@dataclass
class Connected:
    conn: Optional[asyncssh.SSHClientConnection]
    client: Answers
    error: Optional[BaseException] = None


async def connect(port: int, username: str, answers: Dict[str, str], *, kbdint: bool = True) -> Connected:
    client = Answers(answers)
    try:
        conn, _ = await asyncssh.create_connection(
            lambda: client, "127.0.0.1", port, username=username, known_hosts=None, agent_path=None,
            client_keys=None, preferred_auth=("keyboard-interactive",) if kbdint else ("password",),
            login_timeout=20)
    except (asyncssh.PermissionDenied, asyncssh.DisconnectError, OSError) as exc:
        return Connected(None, client, exc)
    return Connected(conn, client)


@dataclass
class Shell:
    """A PTY shell: type() sends keys, until() reads output up to a marker."""
    process: asyncssh.SSHClientProcess
    seen: bytearray = field(default_factory=bytearray)

    async def until(self, marker: bytes, timeout: float = 10) -> bytes:
        return await self.after(0, marker, timeout)

    async def after(self, mark: int, marker: bytes, timeout: float = 10) -> bytes:
        """Read until `marker` is in what the shell printed after position `mark` of `seen`."""
        async def read():
            while marker not in self.seen[mark:]:
                chunk = await self.process.stdout.read(65536)
                if not chunk:
                    raise EOFError(bytes(self.seen[-300:]))
                self.seen += chunk
        try:
            await asyncio.wait_for(read(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"{marker!r} did not come; the last output: {bytes(self.seen[-400:])!r}") from None
        return bytes(self.seen)

    async def type(self, keys: bytes, settle: float = 0.05) -> None:
        self.process.stdin.write(keys)
        await asyncio.sleep(settle)


async def logged_in(port: int, demo: Demo) -> asyncssh.SSHClientConnection:
    """A connection through the gateway as the demo user (password and a fresh code)."""
    c = await connect(port, demo.login, {"Password": demo.kept["password"], "Verification code": demo.code()})
    assert c.error is None, c.client.notices
    return c.conn


async def shell(conn: asyncssh.SSHClientConnection, width: int = 80, height: int = 24) -> Shell:
    """A PTY shell, at its first prompt."""
    process = await conn.create_process(term_type="xterm", term_size=(width, height), encoding=None)
    opened = Shell(process)
    await opened.until(b"$ ")
    return opened
