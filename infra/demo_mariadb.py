"""A real MariaDB target for the local stack and the database-proxy tests: Debian's mariadbd,
started privately as a subprocess (a throwaway datadir made by mariadb-install-db, a loopback
port, its own socket; no system service, no my.cnf read), with a database `demo` holding a table
`items`, and a user with a random password who has every privilege on `demo`. Optionally TLS with a
self-signed certificate (made with `cryptography`), and optionally required of that user.

    db = DemoMariaDB(tls=True).start()      # port=0: a free port; about half a second
    db.host, db.port, db.user, db.password, db.database, db.ca_file
    db.admin_user, db.admin_password        # root over TCP, for set-up the demo user may not do
    db.stop()                               # kills it and removes the datadir

`python -m infra.demo_mariadb [--port N] [--tls]` runs one in the foreground and prints its
connection details as JSON. mariadb-server and mariadb-client come from `sh infra/debian_deps.sh
mariadb`; `unavailable()` says why the target cannot be had.
"""
import argparse
import atexit
import datetime
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "mariadb-install-db"
# small and quick: no binary log, small InnoDB buffers and redo log, no name lookups
SETTINGS = ["--skip-log-bin", "--skip-name-resolve", "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M",
            "--key-buffer-size=1M", "--performance-schema=OFF", "--max-connections=200", "--character-set-server=utf8mb4"]
_tried_install = False


def unavailable() -> Optional[str]:
    """Why a private MariaDB server cannot be started here (None: it can)."""
    global _tried_install
    if os.name != "posix":
        return "needs a POSIX system to run mariadbd"
    if (not os.path.exists(MARIADBD) or shutil.which(INSTALL_DB) is None) and not _tried_install:
        _tried_install = True
        subprocess.run(["sh", str(ROOT / "infra" / "debian_deps.sh"), "mariadb"], check=False, timeout=900)
    if not os.path.exists(MARIADBD) or shutil.which(INSTALL_DB) is None:
        return "needs MariaDB (mariadb-server), and infra/debian_deps.sh could not install it " \
               "(not root, no apt-get, or the install failed)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(directory: Path, host: str = "127.0.0.1") -> tuple:
    """A CA and a server certificate it signed for `host` (and localhost), written as PEM files
    into `directory`: (ca_file, cert_file, key_file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Guardzone demo MariaDB CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost")]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    files = (directory / "ca.pem", directory / "server-cert.pem", directory / "server-key.pem")
    files[0].write_bytes(ca.public_bytes(pem))
    files[1].write_bytes(cert.public_bytes(pem))
    files[2].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    os.chmod(files[2], 0o600)
    return tuple(str(f) for f in files)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _die_with_parent() -> None:
    """In the child: end mariadbd when the process that started it dies (Linux)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - elsewhere stop() is the only way
        pass


_template: Optional[Path] = None
_template_lock = threading.Lock()


def _user_args() -> list:
    return ["--user=root"] if os.geteuid() == 0 else []   # mariadbd refuses root unless told so


def _template_datadir() -> Path:
    """A fresh datadir made by mariadb-install-db once per process (a few seconds on a busy
    machine); each server gets a copy of it (milliseconds)."""
    global _template
    with _template_lock:
        if _template is None or not _template.exists():
            folder = Path(tempfile.mkdtemp(prefix="gz-mariadb-template-"))
            result = subprocess.run(
                [INSTALL_DB, "--no-defaults", f"--datadir={folder / 'data'}", "--skip-test-db", *_user_args(),
                 *SETTINGS], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
            if result.returncode != 0:
                shutil.rmtree(folder, ignore_errors=True)
                raise RuntimeError("mariadb-install-db failed: " + result.stdout.decode(errors="replace")[-2000:])
            atexit.register(shutil.rmtree, folder, True)
            _template = folder / "data"
        return _template


class DemoMariaDB:
    """mariadbd on 127.0.0.1:<port> with database `demo` (table `items`: id, name) and the user
    `user` / `password` (ALL on demo.*, from any host)."""

    def __init__(self, port: int = 0, *, tls: bool = False, require_tls: bool = False, user: str = "demo",
                 password: Optional[str] = None, database: str = "demo") -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.tls = tls or require_tls
        self.require_tls = require_tls
        self.user = user
        self.password = password or secrets.token_urlsafe(12)
        self.database = database
        self.admin_user = "root"
        self.admin_password = secrets.token_urlsafe(12)
        self.dir = Path(tempfile.mkdtemp(prefix="gz-mariadb-"))
        self.datadir = self.dir / "data"
        self.socket = str(self.dir / "mariadbd.sock")
        self.ca_file: Optional[str] = None
        self.proc: Optional[subprocess.Popen] = None

    # ---- life ----
    def start(self, timeout: float = 30) -> "DemoMariaDB":
        try:
            self._install()
            self._run(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _install(self) -> None:
        shutil.copytree(_template_datadir(), self.datadir, symlinks=True)

    def _init_sql(self) -> str:
        tls = " REQUIRE SSL" if self.require_tls else ""
        db = self.database.replace("`", "``")
        return "\n".join([
            f"CREATE DATABASE IF NOT EXISTS `{db}`;",
            f"CREATE TABLE IF NOT EXISTS `{db}`.items (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL);",
            f"INSERT IGNORE INTO `{db}`.items VALUES (1, 'one'), (2, 'two'), (3, 'three');",
            f"CREATE OR REPLACE USER {_quote(self.user)}@'%' IDENTIFIED BY {_quote(self.password)}{tls};",
            f"GRANT ALL PRIVILEGES ON `{db}`.* TO {_quote(self.user)}@'%';",
            f"CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY {_quote(self.admin_password)};",
            "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;",
            "",
        ])

    def _run(self, timeout: float) -> None:
        init = self.dir / "init.sql"
        init.write_text(self._init_sql())
        os.chmod(init, 0o600)
        args = [MARIADBD, "--no-defaults", f"--datadir={self.datadir}", f"--port={self.port}",
                f"--bind-address={self.host}", f"--socket={self.socket}", f"--pid-file={self.dir / 'mariadbd.pid'}",
                f"--log-error={self.dir / 'error.log'}", f"--init-file={init}", *_user_args(), *SETTINGS]
        if self.tls:
            self.ca_file, cert, key = self_signed(self.dir, self.host)
            args += [f"--ssl-ca={self.ca_file}", f"--ssl-cert={cert}", f"--ssl-key={key}"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
        self._wait_ready(timeout)
        init.unlink()           # it holds the passwords

    def _wait_ready(self, timeout: float) -> None:
        """Ready when the init file has run, which the server does before it listens."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("mariadbd exited: " + self.error_log()[-2000:])
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    if s.recv(1):           # the server's greeting (or its refusal) comes first
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mariadbd did not start: " + self.error_log()[-2000:])

    def error_log(self) -> str:
        try:
            return (self.dir / "error.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Kill the server and remove its datadir (and certificates)."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "DemoMariaDB":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- for callers ----
    def info(self) -> dict:
        """Connection details (the password included: this is a throwaway target)."""
        return {"host": self.host, "port": self.port, "user": self.user, "password": self.password,
                "database": self.database, "tls": self.tls, "require_tls": self.require_tls,
                "ca_file": self.ca_file, "admin_user": self.admin_user, "admin_password": self.admin_password}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run a throwaway MariaDB target in the foreground.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--require-tls", action="store_true")
    parser.add_argument("--password")
    args = parser.parse_args(argv)
    why = unavailable()
    if why:
        print(why, file=sys.stderr)
        return 1
    db = DemoMariaDB(args.port, tls=args.tls, require_tls=args.require_tls, password=args.password).start()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        print(json.dumps(db.info()), flush=True)
        while not stop and db.proc is not None and db.proc.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        db.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
