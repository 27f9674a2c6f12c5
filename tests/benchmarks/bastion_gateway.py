"""Bastion SSH gateway: throughput, added keystroke latency, memory per idle session and new
sessions per second, each beside the same measure straight to the target in the same run.

    .venv/bin/python tests/benchmarks/bastion_gateway.py [--mb 200] [--keys 1000] [--sessions 100]
        [--rate-seconds 20] [--repeat 3] [--parts memory,keys,throughput,rate]
        [--cipher NAME] [--profile FILE] [--quick] [--no-pinned] [--no-openssh]

Four processes besides moto: this one (the local stack's API, without the pump, and the asyncssh
client), the demo target host (infra/demo_host.py: a real bash behind asyncssh, password login),
the gateway (`python -m infra.ssh_gateway`, with the stack's environment), so that the gateway's
CPU and memory are its own, and a bare asyncssh relay (this file's serve_relay: each connection
relayed to the target as the gateway relays it, with no login checks and no recording), the
plain-tunnel reference for throughput and keystrokes. Each operator logs in through
keyboard-interactive with a password and a TOTP code; a time-step is accepted once per user, so
the benchmark makes many bastion users (CreateUser and one ACL through the API, each activated as
infra/demo_bastion.py does) and hands each login a user and a time-step not used yet. The ACL
records the session's output and, with AllowKeyboardLogger, its input too: both directions are
recorded.

1. Memory per idle session: --sessions sessions through the gateway at once, each its own login
   and PTY shell idle at its prompt; the gateway process's resident memory with them open minus
   before, divided by the count; goal <= 4 MiB (Teleport documents ~62 MiB a session). Measured
   first; "before" is after two sessions (imports, clients, caches) and 8 logins at once: each
   executor thread that checks a password keeps scrypt's 16 MiB in its malloc arena, a fixed cost
   of up to 16 MiB per thread that is printed beside, not counted per session. Also printed: the
   growth from half the sessions to all of them, per session.
2. Keystroke round trip: in a PTY shell (bash, readline) one character is sent and its echo
   waited for, --keys times (the line cleared every 50), through the gateway and straight,
   blocks of 50 alternating; p50/p99 of each, goal added p99 <= 1 ms.
3. Throughput: --mb MB (10^6 bytes) of printable data (base64 of random bytes in 76-character
   lines, as a terminal shows it: the asciicast recording escapes control bytes, so binary data
   would cost it more) read by the client from `cat FILE` and written by it into
   `cat > /dev/null`, exec sessions, through the gateway and straight to the target with the
   same client; the ratio through/straight, goal >= 0.8 (sshpiper keeps 0.80 of direct scp, a
   plain asyncssh tunnel 0.39), the bare relay beside. The median of --repeat runs each way, with
   the CPU seconds of each process in a run (the recording goes up to S3 on moto as it grows) and
   the cores they kept busy: everything shares this machine's cores. Straight uploads are bound by
   the demo target itself (its pump into the command's stdin pipe takes a core), so the upload
   ratio flatters every relay.
   Beside, for reference, a relay in C: the OpenSSH pair (class OpenSsh; needs root and
   openssh-server, and says so when either is missing): the same client straight to a private
   sshd, and through a second sshd whose own `ssh` runs the command on the first: it decrypts the
   target's stream and encrypts it again, as the gateway does, recording nothing. Its ratio is to
   straight OpenSSH.
   a) shared cores: as above, every process on every CPU. The goal is judged on this figure: it
      is the one issue 20 was written against, and the stricter one (the gateway, a third busy
      Python process, takes CPU from the client and the target it sits between).
   b) pinned (left out with --no-pinned or on one CPU): the same runs with the gateway (or the
      bare relay) alone on CPU 0 and the client, the target and moto on the others, straight runs
      pinned the same way. It models the deployment, where the gateway is a host (a container
      task) of its own and neither the operator's client nor the target shares its CPU; moto,
      which stands in for S3, stays on the client's side and still costs the gateway run. Printed
      beside a), not instead of it.
4. New sessions per second: login, exec `true`, close, one after the other for --rate-seconds,
   the gateway pinned to one core and everything else to the other; beside, the same straight to
   the target (password login). No goal.
"""
import argparse
import asyncio
import base64
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Awaitable, Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "e2e" / "bastion"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_stats as stats  # noqa: E402

GOAL_RATIO = 0.8
GOAL_ADDED_P99_MS = 1.0
GOAL_MIB_PER_SESSION = 4.0
STEP = 30                   # seconds: the TOTP time-step
ACCOUNT = "root"            # the device account on the demo target
KEYS_PER_LINE = 50
KEY = b"x"
RELAY_READ = 256 * 1024     # as the gateway reads (layers/bastion/ssh/server.READ_BYTES)
CLEAR_LINE = b"\x15"        # Ctrl-U


# ---- the child processes ----

def serve_target() -> None:
    """--serve-target: the demo target host in this process; prints its port, runs until stdin closes."""
    from infra.demo_host import DemoHost
    host = DemoHost(ACCOUNT, os.environ["GZ_BENCH_TARGET_PASSWORD"], home=os.environ["GZ_BENCH_TARGET_HOME"]).start()
    print(host.port, flush=True)
    sys.stdin.read()
    host.stop()


def serve_relay() -> None:
    """--serve-relay: a bare asyncssh relay to the target, no login checks and no recording (the
    plain asyncssh tunnel); prints its port, runs until stdin closes."""
    import asyncssh
    port, password = int(os.environ["GZ_BENCH_TARGET_PORT"]), os.environ["GZ_BENCH_TARGET_PASSWORD"]

    class Relay(asyncssh.SSHServer):
        upstream = None

        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        async def validate_password(self, username: str, given: str) -> bool:
            self.upstream = await asyncssh.connect("127.0.0.1", port, username=ACCOUNT, password=password,
                                                   known_hosts=None, agent_path=None, client_keys=None,
                                                   preferred_auth=("password",))
            return True

        def connection_lost(self, exc) -> None:
            if self.upstream is not None:
                self.upstream.close()

    async def pipe(source, sink, eof: bool) -> None:
        while True:
            try:
                data = await source.read(RELAY_READ)
            except (asyncssh.TerminalSizeChanged, asyncssh.SignalReceived, asyncssh.BreakReceived):
                continue
            if not data:
                if eof:
                    sink.write_eof()
                return
            sink.write(data)
            await sink.drain()

    async def handle(process) -> None:
        upstream = process.channel.get_connection().get_owner().upstream
        remote = await upstream.create_process(process.command, term_type=process.get_terminal_type(),
                                               term_size=process.get_terminal_size(), encoding=None)
        keys = asyncio.ensure_future(pipe(process.stdin, remote.stdin, True))
        await asyncio.gather(pipe(remote.stdout, process.stdout, False), pipe(remote.stderr, process.stderr, False))
        await remote.wait_closed()
        keys.cancel()
        process.exit(remote.exit_status if remote.exit_status is not None else 255)

    async def run() -> None:
        acceptor = await asyncssh.create_server(Relay, "127.0.0.1", 0, process_factory=handle, encoding=None,
                                                server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
                                                line_editor=False)
        print(acceptor.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        acceptor.close()

    asyncio.run(run())


class Child:
    """A child process of the benchmark: its stderr (and stdout, unless read) to a log file."""

    def __init__(self, argv: List[str], env: Dict[str, str], log_path: str, read_stdout: bool = False) -> None:
        from infra.services import _die_with_parent
        with open(log_path, "ab") as err:
            self.proc = subprocess.Popen(argv, cwd=str(ROOT), env=env, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE if read_stdout else err, stderr=err,
                                         start_new_session=True, preexec_fn=_die_with_parent)
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Target(Child):
    def __init__(self, work: str) -> None:
        self.password = "target-" + uuid.uuid4().hex[:12]
        home = os.path.join(work, "home")
        os.makedirs(home, exist_ok=True)
        super().__init__([sys.executable, str(Path(__file__).resolve()), "--serve-target"],
                         {**os.environ, "GZ_BENCH_TARGET_PASSWORD": self.password, "GZ_BENCH_TARGET_HOME": home},
                         os.path.join(work, "target.log"), read_stdout=True)
        line = self.proc.stdout.readline()
        if not line.strip():
            raise RuntimeError(f"the demo target did not start (see {self.log_path})")
        self.port = int(line)


class Relay(Child):
    def __init__(self, work: str, target: "Target") -> None:
        super().__init__([sys.executable, str(Path(__file__).resolve()), "--serve-relay"],
                         {**os.environ, "GZ_BENCH_TARGET_PASSWORD": target.password,
                          "GZ_BENCH_TARGET_PORT": str(target.port)},
                         os.path.join(work, "relay.log"), read_stdout=True)
        line = self.proc.stdout.readline()
        if not line.strip():
            raise RuntimeError(f"the bare relay did not start (see {self.log_path})")
        self.port = int(line)


class Gateway(Child):
    def __init__(self, work: str) -> None:
        from infra.services import free_port
        self.port = free_port()
        # the H5 terminal and the MySQL proxy on free ports (0) as well: the defaults may be taken
        super().__init__([sys.executable, "-m", "infra.ssh_gateway", "--host", "127.0.0.1", "--port", str(self.port),
                          "--web-port", "0", "--mysql-port", "0"], dict(os.environ), os.path.join(work, "gateway.log"))
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the gateway exited with {self.proc.returncode} (see {self.log_path})")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the gateway did not listen within 60 s (see {self.log_path})")
                time.sleep(0.1)


class OpenSsh:
    """The relay in C for reference: two private OpenSSH sshds (tests/e2e/bastion/sshd_target.py),
    a target and a middle one; `relay(cmd)` is what the client runs on the middle host so that its
    own `ssh` client runs the command on the target: the middle host decrypts the target's stream
    and encrypts it again towards the client, as the gateway does, in OpenSSH's C and with nothing
    recorded. Needs root and openssh-server (start() says why there is none)."""

    def __init__(self) -> None:
        from sshd_target import Sshd
        self.target = Sshd().start()
        try:
            self.middle = Sshd().start()
        except Exception:
            self.target.close()
            raise

    @classmethod
    def start(cls, left_out: bool) -> Tuple[Optional["OpenSsh"], Optional[str]]:
        """(the pair, None), or (None, why there is none: left out, or what is missing or failed)."""
        from sshd_target import unavailable
        why_not = "left out (--no-openssh)" if left_out else unavailable()
        if why_not:
            return None, why_not
        try:
            return cls(), None
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            return None, f"sshd did not start: {exc}"

    async def connect(self, sshd) -> object:
        import asyncssh
        key = asyncssh.import_private_key(sshd.root_key)
        return await asyncssh.connect("127.0.0.1", sshd.port, username="root", preferred_auth=("publickey",),
                                      **{**CLIENT, "client_keys": [key]})

    def relay(self, command: str, subsystem: bool = False) -> str:
        """The middle host's own hop to the target takes AES-GCM first, as the gateway's does."""
        return (f"ssh -F /dev/null -T -c aes128-gcm@openssh.com -i {self.target.dir / 'root_key'} -p {self.target.port} "
                "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes "
                f"{'-s ' if subsystem else ''}root@127.0.0.1 '{command}'")

    async def sftp(self, conn, relayed: bool):
        """An SFTP client straight to the target's subsystem, or (relayed) over an exec session of
        the middle host whose `ssh -s` carries it to the target's."""
        import asyncssh.sftp
        if not relayed:
            return await conn.start_sftp_client()
        writer, reader, _ = await conn.open_session(command=self.relay("sftp", subsystem=True), encoding=None)
        # conn.start_sftp_client() less its subsystem request (asyncssh 2.x's own helper)
        return await asyncssh.sftp.start_sftp_client(conn, asyncio.get_running_loop(), "strict", reader, writer,
                                                     "utf-8", "strict", asyncssh.sftp.MIN_SFTP_VERSION)

    def close(self) -> None:
        for sshd in (self.target, self.middle):
            sshd.close()


def nothing() -> float:
    """A CPU column with no process behind it."""
    return 0.0


def tree(pid: int) -> List[int]:
    """A process and its descendants (sshd forks one process per connection and per session)."""
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    children.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except OSError:
                pass
    out, todo = [], [pid]
    while todo:
        out.append(todo.pop())
        todo += children.get(out[-1], [])
    return out


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process tree: each live process's own and that of the children it has reaped
    (an sshd session's `ssh`, a connection's process once it ended)."""
    total = 0.0
    for p in tree(pid):
        try:
            total += stats.cpu_seconds(p, reaped=True)
        except OSError:     # (gone meanwhile)
            continue
    return total


def pin(pid: int, cpus) -> None:
    """Every thread of a process (and what they start later) onto these CPUs."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass


# ---- bastion users and their logins ----

@dataclass
class Operator:
    name: str
    password: str
    secret: str
    last: int               # the newest time-step used: the next login needs a newer one
    busy: bool = False

    @property
    def login(self) -> str:
        return f"{self.name}/{ACCOUNT}/127.0.0.1"


class Pool:
    """Hands each login a user and a TOTP time-step of that user not used yet (the gateway accepts
    one step either side of its own clock); waits for the next step when every user has used his."""

    def __init__(self, operators: List[Operator]) -> None:
        import pyotp
        self._totp = pyotp.TOTP
        self.ops = deque(operators)
        self.waited = 0.0

    async def take(self) -> Tuple[Operator, str]:
        while True:
            t = time.time()
            cur = int(t // STEP)
            left = (cur + 1) * STEP - t
            for _ in range(len(self.ops)):
                op = self.ops[0]
                self.ops.rotate(-1)
                if op.busy:
                    continue
                for s in (cur - 1, cur, cur + 1):
                    # the previous step's code only while its acceptance has seconds left
                    if s > op.last and (s >= cur or left > 4):
                        op.last, op.busy = s, True
                        return op, self._totp(op.secret).generate_otp(s)
            pause = left + 0.5
            self.waited += pause
            await asyncio.sleep(pause)


def make_bastion(stack, target: Target, users: int) -> Tuple[List[Operator], dict]:
    """A fresh account whose bastion reaches the target (infra/demo_bastion.ensure), and `users`
    more bastion users allowed to it by one ACL that records input too, each activated."""
    import pyotp

    from infra import demo_bastion
    from layers import identity
    from layers.bastion import login
    acct = identity.create_account("bench-ssh", rate_limit=1_000_000)
    acct = {**acct, **identity.create_key(acct["OwnerUin"])}
    owner = acct["OwnerUin"]
    kept = demo_bastion.ensure(stack.endpoint, acct, target.port, target.password, None,
                               user=f"bd{uuid.uuid4().hex[:6]}")
    api = demo_bastion.Api(stack.endpoint, acct)
    tag = uuid.uuid4().hex[:4]
    names = [f"bg{tag}{i:04d}" for i in range(users)]
    ids = [api("CreateUser", UserName=n, RealName="BenchOperator", Phone="13800000000")["Id"] for n in names]
    api("CreateAcl", Name=f"bench-{tag}", AllowDiskRedirect=False, AllowAnyAccount=True, UserIdSet=ids,
        DeviceIdSet=[kept["device_id"]], AllowKeyboardLogger=True)
    password = demo_bastion._password()
    out = []
    for n in names:
        code = login.issue_activation_code(owner, n)
        secret = login.begin_activation(owner, n, code).totp_secret
        for _ in range(3):
            # the previous step's code: the current and the next stay free for logins
            step = int(time.time() // STEP) - 1
            try:
                login.finish_activation(owner, n, code, password, pyotp.TOTP(secret).generate_otp(step))
                break
            except login.LoginRefused:
                time.sleep(1)       # a step boundary passed in between
        else:
            raise RuntimeError(f"{n} could not be activated")
        out.append(Operator(n, password, secret, step))
    return out, acct


# ---- the client ----

CLIENT: Dict[str, object] = {"known_hosts": None, "agent_path": None, "client_keys": None, "login_timeout": 20}


async def through(port: int, pool: Pool):
    """A login to the gateway: the connection, or RuntimeError with what the gateway said."""
    import asyncssh
    from ssh_support import Answers
    op, code = await pool.take()
    client = Answers({"Password": op.password, "Verification code": code})
    try:
        conn, _ = await asyncssh.create_connection(lambda: client, "127.0.0.1", port, username=op.login,
                                                   preferred_auth=("keyboard-interactive",), **CLIENT)
    except (asyncssh.PermissionDenied, asyncssh.DisconnectError) as exc:
        raise RuntimeError(f"login of {op.name} refused: {client.notices or type(exc).__name__}") from None
    finally:
        op.busy = False
    return conn


async def straight(target: Target):
    import asyncssh
    return await asyncssh.connect("127.0.0.1", target.port, username=ACCOUNT, password=target.password,
                                  preferred_auth=("password",), **CLIENT)


async def relayed(relay: Relay):
    import asyncssh
    return await asyncssh.connect("127.0.0.1", relay.port, username=ACCOUNT, password="any",
                                  preferred_auth=("password",), **CLIENT)


def cipher(conn) -> str:
    return conn.get_extra_info("send_cipher")


def ciphers(conns: Dict[str, object]) -> str:
    """The cipher each path's client negotiated (the gateway offers AES only: --cipher puts every
    path on one)."""
    return ", ".join(f"{name} {cipher(conn)}" for name, conn in conns.items())


def as_is(command: str) -> str:
    return command


async def download(conn, path: str, size: int, wrap: Callable[[str], str] = as_is) -> None:
    proc = await conn.create_process(wrap(f"cat {path}"), encoding=None)
    got = 0
    while True:
        chunk = await proc.stdout.read(1 << 20)
        if not chunk:
            break
        got += len(chunk)
    await proc.wait_closed()
    if got != size or proc.exit_status != 0:
        raise RuntimeError(f"download: {got:,} of {size:,} bytes, exit status {proc.exit_status}")


async def upload(conn, data: bytes, wrap: Callable[[str], str] = as_is, chunk: int = 1 << 18) -> None:
    proc = await conn.create_process(wrap("cat > /dev/null"), encoding=None)
    view = memoryview(data)
    for i in range(0, len(data), chunk):
        proc.stdin.write(view[i:i + chunk])
        await proc.stdin.drain()
    proc.stdin.write_eof()
    await proc.wait_closed()
    if proc.exit_status != 0:
        raise RuntimeError(f"upload: exit status {proc.exit_status}")


class Shell:
    """A PTY shell at its prompt; key() times one keystroke's echo."""

    def __init__(self, proc) -> None:
        self.proc = proc

    @classmethod
    async def open(cls, conn, width: int = 200, height: int = 50) -> "Shell":
        proc = await conn.create_process(term_type="xterm", term_size=(width, height), encoding=None)
        shell = cls(proc)
        seen = b""
        while not seen.rstrip().endswith(b"$"):
            chunk = await asyncio.wait_for(proc.stdout.read(65536), 20)
            if not chunk:
                raise EOFError(seen[-200:])
            seen += chunk
        return shell

    async def settle(self, quiet: float = 0.05) -> None:
        """Reads until nothing more comes for `quiet` seconds."""
        while True:
            try:
                chunk = await asyncio.wait_for(self.proc.stdout.read(65536), quiet)
            except asyncio.TimeoutError:
                return
            if not chunk:
                raise EOFError("the shell ended")

    async def key(self) -> float:
        started = time.perf_counter()
        self.proc.stdin.write(KEY)
        seen = b""
        while KEY not in seen:
            chunk = await self.proc.stdout.read(65536)
            if not chunk:
                raise EOFError("the shell ended")
            seen += chunk
        return (time.perf_counter() - started) * 1000

    async def line(self, n: int) -> List[float]:
        out = [await self.key() for _ in range(n)]
        self.proc.stdin.write(CLEAR_LINE)
        await self.settle()
        return out

    async def exit(self) -> None:
        self.proc.stdin.write(b"exit\r")
        try:
            await asyncio.wait_for(self.proc.wait_closed(), 10)
        except asyncio.TimeoutError:
            self.proc.close()


# ---- the measures ----

def printable(size: int) -> bytes:
    raw = base64.encodebytes(os.urandom(size * 3 // 4 + 100))
    return raw[:size - 1] + b"\n"


def mbps(size: int, seconds: float) -> float:
    return size / 1e6 / seconds


def shown(ratio: float) -> str:
    """A ratio to 2 places, or 3 where 2 would round it onto the goal (0.796 is not 0.80)."""
    return f"{ratio:.3f}" if f"{ratio:.2f}" == f"{GOAL_RATIO:.2f}" else f"{ratio:.2f}"


def pinning() -> Optional[Tuple[set, set]]:
    """(the relay's CPU, the other CPUs) for the pinned figures; None on one CPU."""
    cores = sorted(os.sched_getaffinity(0))
    return ({cores[0]}, set(cores[1:])) if len(cores) > 1 else None


class Pinned:
    """For the `with` block: the middle process (the gateway, or the bare relay) on a CPU of its
    own, the client (this process), the target and moto on the others, as when the gateway is
    a host of its own; every process back on all CPUs after."""

    def __init__(self, middle: List[int], ends: List[int]) -> None:
        self.middle, self.ends = middle, ends
        self.all = set(os.sched_getaffinity(0))

    def __enter__(self) -> "Pinned":
        own, others = pinning()
        for pid in self.middle:
            pin(pid, own)
        for pid in self.ends:
            pin(pid, others)
        return self

    def __exit__(self, *exc) -> None:
        for pid in self.middle + self.ends:
            pin(pid, self.all)


def cpu_readers(*pids: int) -> List[Callable[[], float]]:
    """What a route's CPU columns read: each process's CPU seconds (0: no process, nothing)."""
    return [partial(stats.cpu_seconds, pid) if pid else nothing for pid in pids]


@dataclass
class Route:
    """One way to the target in the throughput runs: the client's connection, how a command is run
    through it, the processes that relay it and those at its ends (pinned apart), and what its CPU
    columns read (client, target, relay, moto)."""
    conn: object
    middle: List[int]
    ends: List[int]
    cpu: List[Callable[[], float]]
    wrap: Callable[[str], str] = as_is
    sshds: Tuple[int, ...] = ()     # sshds among middle and ends: their sessions (children) go with them
    baseline: str = "straight"      # the route its ratio is to

    def pinned(self) -> "Pinned":
        def expand(pids: List[int]) -> List[int]:
            return [p for pid in pids for p in (tree(pid) if pid in self.sshds else [pid])]
        return Pinned(expand(self.middle), expand(self.ends))

    async def measured(self, transfer: Awaitable[None], pinned: bool) -> Tuple[float, Tuple[float, ...]]:
        """(seconds, CPU seconds of each column) of one transfer over the route, pinned or not."""
        before = [read() for read in self.cpu]
        started = time.perf_counter()
        with self.pinned() if pinned else contextlib.nullcontext():
            await transfer
        took = time.perf_counter() - started
        return took, tuple(read() - b for read, b in zip(self.cpu, before))


def reference_note(took: Dict[str, List[float]]) -> str:
    """The relay in C's ratio for a goal's line, where the run had it."""
    if "OpenSSH relay" not in took:
        return ""
    ratio = statistics.median(took["straight, OpenSSH"]) / statistics.median(took["OpenSSH relay"])
    return f"; an OpenSSH relay {ratio:.2f} of straight OpenSSH"


async def routes(target: Target, relays: Dict[str, Tuple[object, int]], moto_pid: int,
                 openssh: Optional[OpenSsh]) -> Dict[str, Route]:
    """The asyncssh routes: straight to the demo target, and through each of `relays` (name: its
    connection, its pid); with openssh, its pair beside."""
    me = os.getpid()
    out = {"straight": Route(await straight(target), [], [me, target.pid, moto_pid],
                             cpu_readers(me, target.pid, 0, moto_pid))}
    for name, (conn, pid) in relays.items():
        out[name] = Route(conn, [pid], [me, target.pid, moto_pid], cpu_readers(me, target.pid, pid, moto_pid))
    if openssh:
        far, near = openssh.target.proc.pid, openssh.middle.proc.pid
        client, target_side = partial(stats.cpu_seconds, me), partial(tree_cpu_seconds, far)
        out["straight, OpenSSH"] = Route(await openssh.connect(openssh.target), [], [me, far],
                                         [client, target_side, nothing, nothing], sshds=(far,),
                                         baseline="straight, OpenSSH")
        out["OpenSSH relay"] = Route(await openssh.connect(openssh.middle), [near], [me, far],
                                     [client, target_side, partial(tree_cpu_seconds, near), nothing],
                                     wrap=openssh.relay, sshds=(far, near), baseline="straight, OpenSSH")
    return out


async def throughput(args, target: Target, relay: Relay, gateway: Gateway, pool: Pool, moto_pid: int, work: str,
                     profile: Optional[str]) -> List[str]:
    size = int(args.mb * 1e6)
    data = printable(size)
    path = os.path.join(work, "printable.txt")
    with open(path, "wb") as f:
        f.write(data)
    openssh, why_not = OpenSsh.start(args.no_openssh)
    lines: List[str] = []
    ways: Dict[str, Route] = {}
    try:
        ways = await routes(target, {"bare relay": (await relayed(relay), relay.pid),
                                     "gateway": (await through(gateway.port, pool), gateway.pid)}, moto_pid, openssh)
        await _throughput(args, size, data, path, ways, gateway, profile, lines, why_not)
    finally:
        for route in ways.values():
            route.conn.close()
        if openssh:
            openssh.close()
        os.remove(path)
    print(flush=True)
    return lines


async def _throughput(args, size, data, path, ways: Dict[str, Route], gateway, profile, lines, why_not) -> None:
    conns = {name: route.conn for name, route in ways.items()}
    cpus = pinning()
    print(f"3. Throughput: {size / 1e6:,.0f} MB of printable data (base64 lines), exec sessions, the median of "
          f"{args.repeat} runs; the client's cipher {ciphers(conns)}"
          f"{'' if args.cipher else ' (the first of the client choices each server offers)'}; CPU seconds of each "
          "process in a run")
    if why_not:
        print(f"  (no OpenSSH relay for reference: {why_not})")
    else:
        print("  The OpenSSH pair, for reference: straight to a private sshd, and through a second one whose "
              "own `ssh` runs the command on the first (a relay in C that decrypts and encrypts again, "
              "recording nothing); its relay column is the middle sshd's processes")

    async def rounds(pinned: bool) -> None:
        where = "pinned" if pinned else "shared cores"
        print_where(pinned, cpus, "the gateway (or the bare relay, or the middle sshd)")
        for way in ("download", "upload"):
            spies: List[subprocess.Popen] = []

            def run(name: str, i: int, way=way) -> Awaitable[None]:
                if profile and i == 0 and name == "gateway" and not pinned:
                    spies.append(py_spy(gateway.pid, f"{profile}.{way}.txt"))
                route = ways[name]
                return download(route.conn, path, size, route.wrap) if way == "download" \
                    else upload(route.conn, data, route.wrap)

            async def after(name: str) -> None:
                while spies:
                    spy = spies.pop()
                    spy.send_signal(2)
                    spy.wait(30)
                await asyncio.sleep(2 if name == "gateway" else 0.5)   # the recording's last part goes up

            took, cpu = await measure_way(ways, args.repeat, pinned, run, after)
            print(f"    {way} ({'cat FILE' if way == 'download' else 'cat > /dev/null'})")
            print_rows(ways, took, cpu, size, lambda name: name + (" (recording on)" if name == "gateway" else ""))
            base = statistics.median(took["straight"])
            g, r = statistics.median(took["gateway"]), statistics.median(took["bare relay"])
            ratio = base / g
            verdict = stats.ratio_verdict(ratio, GOAL_RATIO, pinned=pinned)
            lines.append(f"throughput, {way}, {where}: {shown(ratio)} of straight ({mbps(size, g):.1f} vs "
                         f"{mbps(size, base):.1f} MB/s; a bare asyncssh relay {base / r:.2f}{reference_note(took)}), "
                         f"{verdict}")

    await rounds(False)
    if cpus and not args.no_pinned:
        await rounds(True)


async def measure_way(ways: Dict[str, "Route"], repeat: int, pinned: bool,
                      run: Callable[[str, int], Awaitable[None]], after: Callable[[str], Awaitable[None]]
                      ) -> Tuple[Dict[str, List[float]], Dict[str, List[Tuple[float, ...]]]]:
    """Each route of a throughput table `repeat` times, in turns (`run(name, i)` is the transfer,
    `after(name)` what follows each): the seconds and the CPU seconds of each run, by route."""
    took: Dict[str, List[float]] = {name: [] for name in ways}
    cpu: Dict[str, List[Tuple[float, ...]]] = {name: [] for name in ways}
    for i in range(repeat):
        for name, route in ways.items():
            seconds, used = await route.measured(run(name, i), pinned)
            took[name].append(seconds)
            cpu[name].append(used)
            await after(name)
    return took, cpu


def print_where(pinned: bool, cpus, middle: str) -> None:
    """The heading of a throughput table: where its processes ran, and its columns."""
    if pinned:
        print(f"  b) pinned: {middle} alone on CPU {min(cpus[0])}; the client, the target and moto on CPU "
              f"{', '.join(map(str, sorted(cpus[1])))}, straight runs included (the gateway as a host of its own, "
              "as deployed)")
    else:
        print("  a) shared cores: every process on every CPU (the goal's figure)")
    print(f"  {'':34s} {'MB/s':>6s} {'ratio':>6s}   {'client':>6s} {'target':>6s} {'relay':>6s} {'moto':>6s}  "
          "cores busy", flush=True)


def print_rows(ways: Dict[str, "Route"], took: Dict[str, List[float]], cpu: Dict[str, List[Tuple[float, ...]]],
               size: int, label: Callable[[str], str] = str) -> None:
    """A throughput table's rows, one per route: the median speed, its ratio to the route's baseline,
    each process's median CPU seconds, the cores they kept busy, and every run's speed."""
    for name, route in ways.items():
        base = statistics.median(took[route.baseline])
        t = statistics.median(took[name])
        c = [statistics.median(x[j] for x in cpu[name]) for j in range(4)]
        print(f"      {label(name):30s} {mbps(size, t):6.1f} {base / t:6.2f}   {c[0]:6.2f} {c[1]:6.2f} {c[2]:6.2f} "
              f"{c[3]:6.2f}  {sum(c) / t:5.2f}   runs {', '.join(f'{mbps(size, x):.0f}' for x in took[name])} MB/s",
              flush=True)


def py_spy(pid: int, out: str) -> subprocess.Popen:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--threads",
                             "--nonblocking", "--output", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def keystrokes(args, target: Target, relay: Relay, gateway: Gateway, pool: Pool,
                     profile: Optional[str]) -> List[str]:
    conns = {"straight": await straight(target), "bare relay": await relayed(relay),
             "through the gateway": await through(gateway.port, pool)}
    shells = {name: await Shell.open(conn) for name, conn in conns.items()}
    for shell in shells.values():
        await shell.line(20)                # warm-up
    samples: Dict[str, List[float]] = {name: [] for name in shells}
    spy = py_spy(gateway.pid, f"{profile}.keys.txt") if profile else None
    for i in range(0, args.keys, KEYS_PER_LINE):
        n = min(KEYS_PER_LINE, args.keys - i)
        for name, shell in shells.items():
            samples[name] += await shell.line(n)
    if spy:
        spy.send_signal(2)
        spy.wait(30)
    for shell in shells.values():
        await shell.exit()
    for conn in conns.values():
        conn.close()
    s, g = samples["straight"], samples["through the gateway"]
    added = {p: stats.pct(g, p) - stats.pct(s, p) for p in (50, 90, 99)}
    print(f"2. Keystroke echo in a PTY shell (bash), {len(g):,} keys each way, ms")
    print(f"  {'':22s} {'p50':>7s} {'p90':>7s} {'p99':>7s} {'max':>7s}")
    for name, values in samples.items():
        print(f"  {name:22s} {stats.pct(values, 50):7.3f} {stats.pct(values, 90):7.3f} {stats.pct(values, 99):7.3f} "
              f"{max(values):7.3f}")
    r = samples["bare relay"]
    print(f"  {'added by the relay':22s} {stats.pct(r, 50) - stats.pct(s, 50):7.3f} "
          f"{stats.pct(r, 90) - stats.pct(s, 90):7.3f} {stats.pct(r, 99) - stats.pct(s, 99):7.3f}")
    print(f"  {'added by the gateway':22s} {added[50]:7.3f} {added[90]:7.3f} {added[99]:7.3f}   "
          f"(goal: added p99 <= {GOAL_ADDED_P99_MS} ms)\n", flush=True)
    return [f"keystroke echo: added p99 {added[99]:.3f} ms (p99 {stats.pct(g, 99):.3f} through vs "
            f"{stats.pct(s, 99):.3f} straight; a bare asyncssh relay adds {stats.pct(r, 99) - stats.pct(s, 99):.3f}), "
            f"goal <= {GOAL_ADDED_P99_MS} ms: {stats.verdict(added[99], GOAL_ADDED_P99_MS)}"]


async def idle_memory(args, target: Target, gateway: Gateway, pool: Pool) -> List[str]:
    async def one(gate: asyncio.Semaphore):
        async with gate:
            conn = await through(gateway.port, pool)
            return conn, await Shell.open(conn, 80, 24)

    async def open_many(n: int, at_once: int):
        gate = asyncio.Semaphore(at_once)
        held = await asyncio.gather(*[one(gate) for _ in range(n)], return_exceptions=True)
        return ([h for h in held if not isinstance(h, BaseException)],
                [h for h in held if isinstance(h, BaseException)])

    async def close(held) -> None:
        for conn, shell in held:
            shell.proc.stdin.write(b"exit\r")
        for conn, shell in held:
            try:
                await asyncio.wait_for(shell.proc.wait_closed(), 10)
            except asyncio.TimeoutError:
                pass
            conn.close()

    for _ in range(2):                      # imports, clients and caches of a first session
        held, failed = await open_many(1, 1)
        await close(held)
    await asyncio.sleep(3)
    first = stats.memory(gateway.pid)
    # Logins at once: each executor thread that checks a password (scrypt, 16 MiB) keeps that much
    # in its malloc arena from then on, however many sessions there are.
    held, failed = await open_many(8, 8)
    await close(held)
    await asyncio.sleep(5)
    before = stats.memory(gateway.pid)
    half = args.sessions // 2
    started = time.perf_counter()
    ok, failed = await open_many(half, 4)
    await asyncio.sleep(3)
    middle = stats.memory(gateway.pid)
    more, failed2 = await open_many(args.sessions - half, 4)
    opened = time.perf_counter() - started
    ok, failed = ok + more, failed + failed2
    await asyncio.sleep(3)                  # the recordings' first flush, the idle watches started
    during = stats.memory(gateway.pid)
    await close(ok)
    await asyncio.sleep(5)                  # the sessions finish (recordings up, sessions indexed)
    after = stats.memory(gateway.pid)
    n = len(ok)
    per = (during["rss"] - before["rss"]) / max(n, 1)
    marginal = (during["rss"] - middle["rss"]) / max(n - half, 1)
    raw = (during["rss"] - first["rss"]) / max(n, 1)
    print(f"1. Memory: {n} idle PTY sessions through the gateway at once, each its own login and shell "
          f"(opened in {opened:.1f} s, 4 at a time{f'; {len(failed)} failed: {failed[0]}' if failed else ''}); "
          "the gateway's resident memory, MiB")
    print(f"  {first['rss']:,.1f} after two sessions one after the other; {before['rss']:,.1f} after 8 logins at "
          f"once (+{before['rss'] - first['rss']:,.1f}: the password checks' scrypt buffers kept by the executor "
          "threads)")
    print(f"  {middle['rss']:,.1f} with {half} sessions open, {during['rss']:,.1f} with {n}, "
          f"{after['rss']:,.1f} after they ended")
    print(f"  per session: {per:.2f} MiB (+{during['rss'] - before['rss']:,.1f}, of it "
          f"{during['anon'] - before['anon']:,.1f} anonymous, / {n}); the last {n - half} alone {marginal:.2f} MiB "
          f"each; counting the scrypt buffers too {raw:.2f} MiB (goal <= {GOAL_MIB_PER_SESSION} MiB; Teleport "
          "documents ~62 MiB)\n", flush=True)
    if failed or n < args.sessions:
        return [f"memory per idle session: only {n} of {args.sessions} sessions opened: MISSES"]
    return [f"memory per idle session: {per:.2f} MiB ({n} sessions, +{during['rss'] - before['rss']:,.1f} MiB; "
            f"{raw:.2f} counting the executor's scrypt buffers), goal <= {GOAL_MIB_PER_SESSION} MiB: "
            f"{stats.verdict(per, GOAL_MIB_PER_SESSION)}"]


async def session_rate(args, target: Target, gateway: Gateway, pool: Pool, moto_pid: int,
                       profile: Optional[str]) -> List[str]:
    cores = sorted(os.sched_getaffinity(0))
    others = {cores[-1]} if len(cores) > 1 else set(cores)
    pinned = [os.getpid(), target.pid, moto_pid]
    pin(gateway.pid, {cores[0]})
    for pid in pinned:
        pin(pid, others)
    try:
        async def direct_once():
            conn = await straight(target)
            done = await conn.run("true")
            conn.close()
            await conn.wait_closed()
            assert done.exit_status == 0

        async def gateway_once():
            conn = await through(gateway.port, pool)
            done = await conn.run("true")
            conn.close()
            await conn.wait_closed()
            assert done.exit_status == 0

        async def rate(once, seconds: float, pid: Optional[int]):
            await once()                                    # warm
            await asyncio.sleep(1)
            cpu0, moto0, waited0 = (stats.cpu_seconds(pid) if pid else 0), stats.cpu_seconds(moto_pid), pool.waited
            started, took, errors = time.perf_counter(), [], Counter()
            while time.perf_counter() - started - (pool.waited - waited0) < seconds:
                t, w = time.perf_counter(), pool.waited
                try:
                    await once()
                except Exception as exc:     # noqa: BLE001 - counted and shown
                    errors[str(exc)[:120]] += 1
                    continue
                took.append((time.perf_counter() - t - (pool.waited - w)) * 1000)
            wall = time.perf_counter() - started - (pool.waited - waited0)
            await asyncio.sleep(2)                          # the last sessions' finishing work
            cpu = (stats.cpu_seconds(pid) - cpu0) if pid else 0.0
            return {"n": len(took), "rate": len(took) / wall, "p50": stats.pct(took, 50), "p99": stats.pct(took, 99),
                    "cpu_ms": cpu / max(len(took), 1) * 1000, "busy": cpu / wall,
                    "moto_ms": (stats.cpu_seconds(moto_pid) - moto0) / max(len(took), 1) * 1000, "errors": errors}

        d = await rate(direct_once, max(5.0, args.rate_seconds / 4), None)
        spy = py_spy(gateway.pid, f"{profile}.sessions.txt") if profile else None
        g = await rate(gateway_once, args.rate_seconds, gateway.pid)
        if spy:
            spy.send_signal(2)
            spy.wait(30)
    finally:
        for pid in pinned + [gateway.pid]:
            pin(pid, set(cores))
    print(f"4. New sessions, one after the other (login, exec `true`, close); the gateway on CPU {cores[0]}, the "
          f"client, the target and moto on CPU {', '.join(map(str, sorted(others)))}")
    print(f"  straight to the target (password)   {d['rate']:6.1f} sessions/s   each p50 {d['p50']:.0f} ms, "
          f"p99 {d['p99']:.0f} ms ({d['n']} sessions)")
    print(f"  through the gateway (password+TOTP) {g['rate']:6.1f} sessions/s   each p50 {g['p50']:.0f} ms, "
          f"p99 {g['p99']:.0f} ms ({g['n']} sessions, {len(pool.ops)} users)")
    print(f"  the gateway's CPU {g['cpu_ms']:.0f} ms a session ({g['busy']:.0%} of its core busy: one core fully "
          f"used would open ~{1000 / g['cpu_ms']:.0f}/s), moto's {g['moto_ms']:.0f} ms a session"
          + (f"; time-step waits left out: {pool.waited:.0f} s" if pool.waited else ""))
    for message, count in (d["errors"] + g["errors"]).items():
        print(f"  {count} failed: {message}")
    print(flush=True)
    return [f"new sessions: {g['rate']:.1f}/s through the gateway on one core ({g['cpu_ms']:.0f} ms of its CPU "
            f"each), {d['rate']:.1f}/s straight: no goal"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=200, help="MB (10^6 bytes) each transfer")
    ap.add_argument("--repeat", type=int, default=3, help="transfers each way and path (the median is shown)")
    ap.add_argument("--keys", type=int, default=1000, help="keystrokes each path")
    ap.add_argument("--sessions", type=int, default=100, help="idle sessions open at once")
    ap.add_argument("--rate-seconds", type=float, default=20, help="seconds of sessions one after the other")
    ap.add_argument("--users", type=int, default=0, help="bastion users to log in as (default: sessions + 40)")
    ap.add_argument("--profile", help="py-spy the gateway during the keystrokes, the first transfer each way and "
                                      "the new sessions: FILE.keys.txt, .download.txt, .upload.txt, .sessions.txt "
                                      "(collapsed stacks)")
    ap.add_argument("--cipher", help="the client's only cipher (e.g. aes128-gcm@openssh.com); default: asyncssh's "
                                     "choice. The gateway's and the relay's own connections to the target keep theirs")
    ap.add_argument("--parts", default="memory,keys,throughput,rate", help="which measures, in this order")
    ap.add_argument("--no-openssh", action="store_true", help="throughput: leave out the OpenSSH relay for reference")
    ap.add_argument("--no-pinned", action="store_true", help="throughput: leave out the pinned runs (the gateway "
                                                              "on a CPU of its own)")
    ap.add_argument("--quick", action="store_true", help="20 MB, 200 keys, 20 sessions, 5 s of new sessions")
    ap.add_argument("--serve-target", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--serve-relay", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_target:
        serve_target()
        return 0
    if args.serve_relay:
        serve_relay()
        return 0
    if args.quick:
        args.mb, args.keys, args.sessions, args.rate_seconds, args.repeat = 20, 200, 20, 5, 1
    parts = {p.strip() for p in args.parts.split(",")}
    if args.cipher:
        CLIENT["encryption_algs"] = [args.cipher]
    users = args.users or args.sessions + 40
    work = tempfile.mkdtemp(prefix="guardzone-bench-ssh-")
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", os.path.join(work, "audit-spool"))
    os.environ["GZ_RECORDING_SPOOL_DIR"] = os.path.join(work, "recordings")
    print(f"Bastion SSH gateway — {stats.machine()}\n", flush=True)
    from bench_stack import local_stack
    verdicts: List[str] = []
    with local_stack("embedded", run_pump=False, audit_delivery="spool") as stack:
        target = relay = gateway = None
        try:
            target = Target(work)
            started = time.perf_counter()
            operators, _ = make_bastion(stack, target, users)
            gateway = Gateway(work)
            relay = Relay(work, target)
            print(f"{len(operators)} bastion users made and activated in {time.perf_counter() - started:.0f} s; "
                  f"the gateway is process {gateway.pid}, the bare relay {relay.pid}, the target {target.pid}, "
                  f"moto {stack.moto.proc.pid}, "
                  f"this one {os.getpid()}; logs in {work}\n", flush=True)
            pool = Pool(operators)
            moto_pid = stack.moto.proc.pid

            async def run():
                out = []
                if "memory" in parts:           # first: the gateway has had no other session yet
                    out += await idle_memory(args, target, gateway, pool)
                if "keys" in parts:
                    out += await keystrokes(args, target, relay, gateway, pool, args.profile)
                if "throughput" in parts:
                    out += await throughput(args, target, relay, gateway, pool, moto_pid, work, args.profile)
                if "rate" in parts:
                    out += await session_rate(args, target, gateway, pool, moto_pid, args.profile)
                return out

            verdicts = asyncio.run(run())
        finally:
            for child in (gateway, relay, target):
                if child is not None:
                    child.stop()
    stats.print_goals(verdicts, "the same measure straight to the target")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
