"""The local stand-ins: moto in server mode and osmem-server, each a child process on loopback."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from typing import List, Optional


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before answering on {url}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {url} within {timeout:.0f} s")


class ChildService:
    def __init__(self, name: str, argv: List[str], url: str, probe: str, stderr: Optional[str] = "",
                 stop_timeout: float = 10.0) -> None:
        self.name, self.argv, self.url, self._probe = name, argv, url, probe
        self.stderr = stderr          # a file to append the child's stderr to ("" discards it, None shares ours)
        self.stop_timeout = stop_timeout
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> "ChildService":
        # Own session: Ctrl-C reaches the stack, which stops its children in order. Parent-death
        # signal: a stack (or test run) that is killed outright does not leave them running.
        err = open(self.stderr, "ab") if self.stderr else (None if self.stderr is None else subprocess.DEVNULL)
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err, start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            if self.stderr:
                err.close()       # the child holds its own descriptor
        _wait_http(self.url + self._probe, self.proc)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def moto_server(port: int = 0, state_dir: Optional[str] = None) -> ChildService:
    """moto in server mode, DynamoDB's requests one at a time (infra/moto_atomic.py); with state_dir,
    one that keeps its state there across restarts (infra/moto_state.py), whose errors (a state it
    cannot read) reach our stderr."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    if state_dir:
        return ChildService("moto", [sys.executable, "-m", "infra.moto_state", "--port", str(port),
                                     "--state-dir", state_dir], url, "/moto-state", stderr=None, stop_timeout=60)
    return ChildService("moto", [sys.executable, "-m", "infra.moto_atomic", "-H", "127.0.0.1", "-p", str(port)],
                        url, "/moto-api/data.json")


def stock_moto_server(port: int = 0) -> ChildService:
    """moto as shipped (`python -m moto.server`): what the local stack's moto is held to, answer for
    answer, in tests/integration/test_moto_*.py, and measured beside in tests/benchmarks/moto_requests.py."""
    port = port or free_port()
    return ChildService("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                        f"http://127.0.0.1:{port}", "/moto-api/data.json")


def moto_state(url: str, snapshot: bool = False) -> dict:
    """What a keeping moto restored ({"restored": [service, ...]}), or, with snapshot, which
    services it wrote now ({"written": [...]})."""
    request = urllib.request.Request(url + ("/moto-state/snapshot" if snapshot else "/moto-state"),
                                     method="POST" if snapshot else "GET")
    with urllib.request.urlopen(request, timeout=120) as resp:
        return json.loads(resp.read())


def osmem_binary() -> str:
    """The binary the osmem-server wheel bundles (or OSMEM_SERVER_BIN, or one on PATH)."""
    try:
        from osmem_server import resolve_binary
        return resolve_binary()
    except ImportError:
        found = shutil.which("osmem-server")
        if not found:
            raise RuntimeError("osmem-server is not installed (pip install osmem-server)") from None
        return found


def opensearch_server(port: int = 0) -> ChildService:
    """GZ_OSMEM_STDERR: a file for the store's stderr (with GODEBUG=gctrace=1, its collections)."""
    port = port or free_port()
    return ChildService("osmem", [osmem_binary(), "-addr", f"127.0.0.1:{port}", "-no-stdin-watch"],
                        f"http://127.0.0.1:{port}", "/", stderr=os.environ.get("GZ_OSMEM_STDERR", ""))


def aws_environment(endpoint: str) -> dict:
    """What every process of the local stack needs to reach moto."""
    return {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1",
            "GZ_AWS_ENDPOINT": endpoint}


def apply_environment(values: dict) -> None:
    os.environ.update(values)
