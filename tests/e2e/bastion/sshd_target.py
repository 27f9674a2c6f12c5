"""A real SSH target for the password-rotation tests: the machine's own OpenSSH sshd, started
privately (its own config and host key in a temporary folder, on a loopback port, `sshd -D -f`,
no system service), and throwaway Linux users with known passwords (useradd + chpasswd), removed
afterwards. Needs root and openssh-server, which infra/debian_deps.sh installs where it can
(root + apt-get); `unavailable()` says why when it cannot be had. The SSH benchmarks start it too,
as the target and the middle host of their relay in C for reference."""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parents[3]
SSHD = "/usr/sbin/sshd"
_tried_install = False


def unavailable() -> Optional[str]:
    """Why a private sshd with throwaway users cannot be had here (None: it can)."""
    global _tried_install
    if os.name != "posix" or os.geteuid() != 0:
        return "needs root: the test creates a throwaway Linux user and runs a private sshd"
    if not os.path.exists(SSHD) and not _tried_install:
        _tried_install = True
        subprocess.run(["sh", str(ROOT / "infra" / "debian_deps.sh"), "sshd"], check=False, timeout=600)
    if not os.path.exists(SSHD):
        return "needs OpenSSH's sshd (openssh-server), and infra/debian_deps.sh could not install it " \
               "(no apt-get, or the install failed)"
    for tool in ("useradd", "userdel", "chpasswd", "passwd"):
        if shutil.which(tool) is None:
            return f"needs `{tool}`"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sshd:
    """sshd on 127.0.0.1:<port> that lets in root (by the key in root_key, by no password) and
    the users add_user makes."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gz-sshd-"))
        self.port = _free_port()
        self.users: List[str] = []
        self.proc: Optional[subprocess.Popen] = None
        keys = self.dir / "authorized"
        keys.mkdir(mode=0o755)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.dir / "host_key")], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gz-rotation-test",
                        "-f", str(self.dir / "root_key")], check=True)
        shutil.copy(self.dir / "root_key.pub", keys / "root")
        self.root_key = (self.dir / "root_key").read_text()

    def start(self) -> "Sshd":
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)     # sshd's privilege-separation folder
        self._write_config()
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.dir / "sshd_config")],
                                     stdout=subprocess.DEVNULL, stderr=open(self.dir / "sshd.log", "wb"))
        self.wait_up()
        return self

    def _write_config(self) -> None:
        (self.dir / "sshd_config").write_text(f"""\
Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.dir / 'host_key'}
PidFile {self.dir / 'sshd.pid'}
AuthorizedKeysFile {self.dir / 'authorized'}/%u
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers root gzrot*
MaxStartups 50
Subsystem sftp internal-sftp
LogLevel ERROR
""")

    def wait_up(self, timeout: float = 10) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError("sshd exited: " + (self.dir / "sshd.log").read_text(errors="replace"))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not start")

    def add_user(self, password: str, *, ssh: bool = True) -> str:
        """A throwaway Linux user with this password: gzrot… (whom this sshd lets in), or with
        ssh=False gzoff… (whom it does not)."""
        name = ("gzrot" if ssh else "gzoff") + secrets.token_hex(4)
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        self.users.append(name)
        self.set_password(name, password)
        return name

    @staticmethod
    def set_password(name: str, password: str) -> None:
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)

    @staticmethod
    def shadow_hash(name: str) -> str:
        for line in Path("/etc/shadow").read_text().splitlines():
            if line.split(":", 1)[0] == name:
                return line.split(":")[1]
        raise KeyError(name)

    def stop_process(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def close(self) -> None:
        self.stop_process()
        for name in self.users:
            subprocess.run(["userdel", "--force", "--remove", name], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
