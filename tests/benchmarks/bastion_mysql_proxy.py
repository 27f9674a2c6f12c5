"""Bastion MySQL proxy: small-query round trip and rows/s of a large result through the proxy,
each as a ratio to the same client straight to the database, measured in the same run.

    .venv/bin/python tests/benchmarks/bastion_mysql_proxy.py [--queries 2000] [--rows 100000]
        [--repeat 3] [--tls] [--profile FILE] [--quick]

Processes: this one (the local stack's API, without the pump, and the clients), the demo MariaDB
(infra/demo_mariadb.py, mariadbd), the gateway as deployed (`python -m infra.ssh_gateway
--mysql-port`, with the stack's environment) so that the proxy's CPU is its own, and a bare
asyncio TCP relay (this file's serve_relay: bytes forwarded both ways with TCP_NODELAY, no
protocol, no login, no judging, no recording), the floor any relay in Python adds, and socat
(Debian's, a relay in C: the floor any relay at all adds on this machine, two more hops on
loopback).

The proxy's path is as deployed: a bastion user logs in with a database access string; the ACL
carries the usual high-risk template (DROP TABLE, TRUNCATE, DELETE/UPDATE without WHERE, GRANT),
so every statement is judged, and each is recorded (session-log queue on moto, asciicast).
TLS: none on any hop by default (the proxy offers no TLS to clients); with --tls, the database
requires TLS: the direct clients and the proxy's hop to the database use it, the client's hop to
the proxy stays plain.

1. Small queries, one at a time on one connection, pymysql (autocommit): `SELECT 1`, a primary-key
   SELECT and a one-row UPDATE (a different id each time, as an application sends them), blocks
   of 100 alternating between the paths; p50/p99 of each; the ratio direct/proxy of the p50 (goal
   >= 0.8), of the p99 beside. Also the mysql command-line client (C, libmariadb) sending
   `SELECT 1` statements one after the other on its standard input, per statement.
   The gateway's CPU per statement is printed beside.
   What "small" means: each statement's result is one packet or a few (SELECT 1: one row of one
   column; the primary-key SELECT: one row of three columns out of --rows; the UPDATE: an OK
   packet, one row changed), so the time is the round trip, not the transfer.
2. A large result: `SELECT * FROM bench` (--rows rows, ~50 bytes each), read whole by pymysql and
   by the mysql client (--batch --quick, its output read and thrown away); rows/s and the ratio
   proxy/direct.
3. (Added beside 1, not instead of it; not with --shared-only, nor on one core.) The small queries
   again with the gateway (and the bare relay) pinned to a core of its own and everything else
   (this process and its clients, MariaDB, moto) to the other: the same pinning for the direct
   path. It models the deployment, where the gateway is a host of its own between client and
   database; on this 2-core machine the shared-cores figure of 1 also pays for two more process
   wake-ups competing with client and database for the same cores. Both figures are printed
   against the goal; this file does not choose which one judges it.
"""
import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bastion_gateway import Child  # noqa: E402 - a child process with its output to a log file

import bench_stats as stats  # noqa: E402

GOAL_RATIO = 0.8
RULES = "DROP TABLE\nTRUNCATE\nDELETE WITHOUT WHERE\nGRANT\nUPDATE WITHOUT WHERE"
BLOCK = 100
SOCAT = "socat (C relay)"
SMALL = {"SELECT 1": ("SELECT 1", False),
         "primary-key SELECT": ("SELECT id, name, v FROM bench WHERE id = %s", True),
         "one-row UPDATE": ("UPDATE bench SET v = v + 1 WHERE id = %s", True)}


# ---- the child processes ----

def serve_relay() -> None:
    """--serve-relay: a bare asyncio TCP relay to GZ_BENCH_TARGET_PORT; prints its port, runs
    until stdin closes."""
    port = int(os.environ["GZ_BENCH_TARGET_PORT"])

    async def pipe(reader, writer) -> None:
        try:
            while True:
                data = await reader.read(256 * 1024)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        for w in (writer, up_writer):
            w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def run() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        server.close()

    asyncio.run(run())


class Socat:
    """socat relaying each connection to the database (TCP_NODELAY both ways), a process per connection."""

    def __init__(self, port: int) -> None:
        from infra.demo_mariadb import free_port
        self.port = free_port()
        self.proc = subprocess.Popen(["socat", f"TCP-LISTEN:{self.port},bind=127.0.0.1,reuseaddr,fork,nodelay",
                                      f"TCP:127.0.0.1:{port},nodelay"], stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.time() + 10
        while time.time() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("socat did not listen")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def socat(port: int) -> Optional[Socat]:
    if not shutil.which("socat"):
        subprocess.run(["sh", str(ROOT / "infra" / "debian_deps.sh"), "socat"], check=False, capture_output=True)
    return Socat(port) if shutil.which("socat") else None


class Relay(Child):
    def __init__(self, work: str, port: int) -> None:
        super().__init__([sys.executable, str(Path(__file__).resolve()), "--serve-relay"],
                         {**os.environ, "GZ_BENCH_TARGET_PORT": str(port)}, os.path.join(work, "relay.log"),
                         read_stdout=True)
        line = self.proc.stdout.readline()
        if not line.strip():
            raise RuntimeError(f"the bare relay did not start (see {self.log_path})")
        self.port = int(line)


class Gateway(Child):
    def __init__(self, work: str) -> None:
        from infra.services import free_port
        self.port, self.mysql_port = free_port(), free_port()
        super().__init__([sys.executable, "-m", "infra.ssh_gateway", "--host", "127.0.0.1", "--port", str(self.port),
                          "--mysql-port", str(self.mysql_port)], dict(os.environ), os.path.join(work, "gateway.log"))
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the gateway exited with {self.proc.returncode} (see {self.log_path})")
            try:
                socket.create_connection(("127.0.0.1", self.mysql_port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the MySQL proxy did not listen within 60 s (see {self.log_path})")
                time.sleep(0.1)


# ---- the set-up ----

def fill(db, rows: int) -> None:
    """demo.bench: `rows` rows of id, name, v, note (~50 bytes each on the wire)."""
    import pymysql
    conn = pymysql.connect(host=db.host, port=db.port, user=db.admin_user, password=db.admin_password,
                           database="demo", autocommit=True, **tls_options(db))
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE bench (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL, v INT NOT NULL, "
                    "note VARCHAR(64) NOT NULL)")
        try:
            cur.execute(f"INSERT INTO bench SELECT seq, CONCAT('name-', seq), seq * 7, "
                        f"CONCAT('a note about row ', seq) FROM seq_1_to_{rows}")
        except pymysql.err.MySQLError:          # no SEQUENCE engine
            for i in range(1, rows + 1, 5000):
                cur.executemany("INSERT INTO bench VALUES (%s, %s, %s, %s)",
                                [(j, f"name-{j}", j * 7, f"a note about row {j}") for j in range(i, min(rows, i + 4999) + 1)])
        cur.execute("SELECT COUNT(*) FROM bench")
        assert cur.fetchone()[0] == rows
    conn.close()


def make_site(stack, db) -> dict:
    """A fresh account whose bastion user reaches the database through an ACL with RULES, and the
    user's database access string (user name, password)."""
    from infra import demo_bastion
    from layers import identity
    from layers.bastion import access_strings, login
    acct = identity.create_account("bench-mysql", rate_limit=1_000_000)
    acct = {**acct, **identity.create_key(acct["OwnerUin"])}
    kept = demo_bastion.ensure(stack.endpoint, acct, 2222, "unused-target-1", None, user=f"bm{uuid.uuid4().hex[:6]}")
    kept = demo_bastion.ensure_database(stack.endpoint, acct, db.info(), kept, cmd_list=RULES)
    owner = acct["OwnerUin"]
    password = login.create_access_string(owner, kept["user"], kept["db_account_id"], None)
    return {"user": access_strings.database_login_name(owner, kept["user"], kept["db_account_id"]),
            "password": password}


def tls_options(db) -> dict:
    return {"ssl": {"ca": db.ca_file}} if db.tls else {"ssl_disabled": True}


def connect(db, path: str, port: int, site: dict):
    import pymysql
    if path == "proxy":
        return pymysql.connect(host="127.0.0.1", port=port, user=site["user"], password=site["password"],
                               database="demo", autocommit=True, ssl_disabled=True)
    return pymysql.connect(host=db.host, port=port, user=db.user, password=db.password, database="demo",
                           autocommit=True, **tls_options(db))


class Cli:
    """The mysql command-line client (mariadb, libmariadb) on one connection, fed statements on its
    standard input (--batch --quick --unbuffered); run() times statements until their output ends."""
    MARK = b"gz-bench-mark"

    def __init__(self, db, path: str, port: int, site: dict) -> None:
        exe = shutil.which("mariadb") or shutil.which("mysql")
        user, password = (site["user"], site["password"]) if path == "proxy" else (db.user, db.password)
        argv = [exe, "-h", "127.0.0.1", "-P", str(port), "-u", user, "--batch", "--quick", "--unbuffered",
                "--skip-column-names", "demo"]
        argv += ["--ssl-ca", db.ca_file] if db.tls and path == "direct" else ["--skip-ssl"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, "MYSQL_PWD": password})
        self.path = path
        self.run("SELECT 1;")

    def run(self, sql: str) -> float:
        """Seconds until the output of `sql` (and of a marker after it) has come; its bytes thrown away."""
        data = (sql + f"\nSELECT '{self.MARK.decode()}';\n").encode()
        started = time.perf_counter()
        feeder = threading.Thread(target=lambda: (self.proc.stdin.write(data), self.proc.stdin.flush()))
        feeder.start()
        tail, fd = b"", self.proc.stdout.fileno()
        while not tail.endswith(self.MARK + b"\n"):
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise RuntimeError(f"mariadb client ({self.path}): {self.proc.stderr.read().decode(errors='replace')}")
            tail = (tail + chunk)[-64:]
        took = time.perf_counter() - started
        feeder.join()
        return took

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


# ---- the measures ----

def pin(pid: int, cpus: set) -> None:
    """Every thread of a process onto `cpus` (threads it makes later inherit it)."""
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(task), cpus)
        except (ProcessLookupError, OSError):
            pass                # a thread that ended meanwhile


def small_queries(args, db, ports: Dict[str, int], site: dict, gateway: Gateway, rows: int,
                  title: str = "1. Small queries", label: str = "") -> List[str]:
    conns = {path: connect(db, path, port, site) for path, port in ports.items()}
    curs = {path: conn.cursor() for path, conn in conns.items()}
    rnd = random.Random(7)
    lines, table = [], []
    print(f"{title}, one at a time on one connection (pymysql), {args.queries:,} each path in blocks of "
          f"{BLOCK} alternating; ms")
    for name, (sql, keyed) in SMALL.items():
        print(f"  {name}: `{sql % ('<random id>',) if keyed else sql}`")
    print(f"  {'':40s} {'p50':>7s} {'p99':>7s}  {'ratio p50':>9s} {'p99':>5s}  {'added p50':>9s}  gateway CPU/stmt")
    spy = None
    for name, (sql, keyed) in SMALL.items():
        samples: Dict[str, List[float]] = {path: [] for path in conns}
        cpu = 0.0
        for i in range(-2 * BLOCK, args.queries, BLOCK):          # two blocks of warm-up each
            for path, cur in curs.items():
                took = []
                before = stats.cpu_seconds(gateway.pid) if path == "proxy" else 0.0
                for _ in range(BLOCK):
                    params = (rnd.randint(1, rows),) if keyed else None
                    t = time.perf_counter()
                    cur.execute(sql, params)
                    cur.fetchall()
                    took.append((time.perf_counter() - t) * 1000)
                if i >= 0:
                    samples[path] += took
                    if path == "proxy":
                        cpu += stats.cpu_seconds(gateway.pid) - before
            if args.profile and spy is None and i >= 0 and name == "primary-key SELECT":
                spy = py_spy(gateway.pid, f"{args.profile}.small.txt")
        if spy is not None and name == "primary-key SELECT":
            spy.send_signal(2)
            spy.wait(30)
        d = samples["direct"]
        for path, values in samples.items():
            ratio = stats.pct(d, 50) / stats.pct(values, 50)
            ratio99 = stats.pct(d, 99) / stats.pct(values, 99)
            cpu_text = f"{cpu / len(values) * 1000:.3f} ms" if path == "proxy" else ""
            print(f"  {name + ': ' + path:40s} {stats.pct(values, 50):7.3f} {stats.pct(values, 99):7.3f}  "
                  f"{ratio:9.2f} {ratio99:5.2f}  {stats.pct(values, 50) - stats.pct(d, 50):9.3f}  {cpu_text}", flush=True)
        p = samples["proxy"]
        ratio = stats.pct(d, 50) / stats.pct(p, 50)
        table.append(ratio)
        lines.append(f"{label}{name} (pymysql): direct/proxy {ratio:.2f} at p50 ({stats.pct(d, 50):.3f} vs "
                     f"{stats.pct(p, 50):.3f} ms), {stats.pct(d, 99) / stats.pct(p, 99):.2f} at p99; a bare relay "
                     f"{stats.pct(d, 50) / stats.pct(samples['bare relay'], 50):.2f}"
                     + (f", socat (C) {stats.pct(d, 50) / stats.pct(samples[SOCAT], 50):.2f}" if SOCAT in samples else "")
                     + f"; goal >= {GOAL_RATIO}: "
                     f"{stats.verdict(ratio, GOAL_RATIO, at_least=True)}")
    for conn in conns.values():
        conn.close()
    # the mysql client: N statements on one connection, blocks alternating
    n = args.queries
    clis = {path: Cli(db, path, port, site) for path, port in ports.items()}
    per: Dict[str, List[float]] = {path: [] for path in ports}
    for i in range(-1, args.repeat * 4):
        for path, c in clis.items():
            took = c.run("SELECT 1;\n" * n)
            if i >= 0:
                per[path].append(took / (n + 1) * 1000)
    for c in clis.values():
        c.close()
    d, g = statistics.median(per["direct"]), statistics.median(per["proxy"])
    print(f"  mysql client, `SELECT 1` x {n:,} on one connection, ms a statement (median of {args.repeat * 4} runs): "
          + ", ".join(f"{path} {statistics.median(v):.3f}" for path, v in per.items()))
    ratio = d / g
    print(f"  {'':40s} ratio direct/proxy {ratio:.2f}, a bare relay {d / statistics.median(per['bare relay']):.2f}"
          + (f", socat (C) {d / statistics.median(per[SOCAT]):.2f}" if SOCAT in per else "") + "\n", flush=True)
    lines.append(f"{label}SELECT 1 (mysql client): direct/proxy {ratio:.2f} ({d:.3f} vs {g:.3f} ms a statement); "
                 f"goal >= {GOAL_RATIO}: {stats.verdict(ratio, GOAL_RATIO, at_least=True)}")
    return lines


def large_result(args, db, ports: Dict[str, int], site: dict, gateway: Gateway, rows: int) -> List[str]:
    took: Dict[str, Dict[str, List[float]]] = {"pymysql": {p: [] for p in ports}, "mysql client": {p: [] for p in ports}}
    cpu: List[float] = []
    for _ in range(args.repeat):
        for path, port in ports.items():
            conn = connect(db, path, port, site)
            with conn.cursor() as cur:
                before = stats.cpu_seconds(gateway.pid)
                t = time.perf_counter()
                cur.execute("SELECT * FROM bench")
                got = len(cur.fetchall())
                took["pymysql"][path].append(time.perf_counter() - t)
                if path == "proxy":
                    cpu.append(stats.cpu_seconds(gateway.pid) - before)
            conn.close()
            assert got == rows, got
            c = Cli(db, path, port, site)
            took["mysql client"][path].append(c.run("SELECT * FROM bench;"))
            c.close()
    print(f"2. A {rows:,}-row result (`SELECT * FROM bench`), read whole; rows/s (median of {args.repeat})")
    lines = []
    for client, by_path in took.items():
        d = statistics.median(by_path["direct"])
        parts = [f"{path} {rows / statistics.median(v):,.0f}" for path, v in by_path.items()]
        ratio = d / statistics.median(by_path["proxy"])
        print(f"  {client:12s} {', '.join(parts)}; proxy/direct {ratio:.2f}, bare relay/direct "
              f"{d / statistics.median(by_path['bare relay']):.2f}")
        lines.append(f"{rows:,} rows ({client}): proxy {ratio:.2f} of direct ({rows / statistics.median(by_path['proxy']):,.0f} "
                     f"vs {rows / d:,.0f} rows/s)")
    print(f"  the gateway's CPU for the result: {statistics.median(cpu):.2f} s (pymysql runs)\n", flush=True)
    return lines


def py_spy(pid: int, out: str) -> subprocess.Popen:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "500", "--format", "raw", "--threads",
                             "--nonblocking", "--output", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=2000, help="small queries of each kind each path")
    ap.add_argument("--rows", type=int, default=100_000, help="rows of the large result")
    ap.add_argument("--repeat", type=int, default=3, help="large results and mysql-client runs each path")
    ap.add_argument("--tls", action="store_true", help="the database requires TLS (direct and the proxy's hop)")
    ap.add_argument("--profile", help="py-spy the gateway during the primary-key SELECTs: FILE.small.txt")
    ap.add_argument("--quick", action="store_true", help="500 queries, 20k rows, one repeat")
    ap.add_argument("--shared-only", action="store_true", help="no figure with the gateway on a core of its own")
    ap.add_argument("--serve-relay", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_relay:
        serve_relay()
        return 0
    if args.quick:
        args.queries, args.rows, args.repeat = 500, 20_000, 1
    from infra import demo_mariadb
    why = demo_mariadb.unavailable()
    if why:
        print(f"Bastion MySQL proxy: skipped ({why}; sh infra/debian_deps.sh mariadb)")
        return 0
    work = tempfile.mkdtemp(prefix="guardzone-bench-mysql-")
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", os.path.join(work, "audit-spool"))
    os.environ["GZ_RECORDING_SPOOL_DIR"] = os.path.join(work, "recordings")
    print(f"Bastion MySQL proxy — {stats.machine()}\n", flush=True)
    from bench_stack import local_stack
    verdicts: List[str] = []
    with local_stack("embedded", run_pump=False, audit_delivery="spool") as stack:
        db = gateway = relay = c_relay = None
        try:
            db = demo_mariadb.DemoMariaDB(tls=args.tls).start()
            fill(db, args.rows)
            site = make_site(stack, db)
            gateway = Gateway(work)
            relay = Relay(work, db.port)
            ports = {"direct": db.port, "bare relay": relay.port, "proxy": gateway.mysql_port}
            c_relay = socat(db.port)
            if c_relay is not None:
                ports[SOCAT] = c_relay.port
            else:
                print("socat is not installed (sh infra/debian_deps.sh socat): no C relay beside\n")
            print(f"MariaDB {db.port} (process {db.proc.pid}), the gateway's MySQL proxy {gateway.mysql_port} "
                  f"(process {gateway.pid}), the bare relay {relay.port} (process {relay.pid}), this one "
                  f"{os.getpid()}, moto {stack.moto.proc.pid}; TLS: "
                  + ("to the database on the direct path and the proxy's hop (client to proxy plain)" if args.tls
                     else "none on any hop") + "\n", flush=True)
            verdicts += small_queries(args, db, ports, site, gateway, args.rows)
            verdicts += large_result(args, db, ports, site, gateway, args.rows)
            cpus = sorted(os.sched_getaffinity(0))
            if not args.shared_only and len(cpus) >= 2:
                everything = set(cpus)
                others = [os.getpid(), db.proc.pid, stack.moto.proc.pid]
                for pid in others:
                    pin(pid, {cpus[0]})
                relays = [gateway.pid, relay.pid] + ([c_relay.pid] if c_relay else [])
                for pid in relays:
                    pin(pid, {cpus[1]})
                try:
                    verdicts += small_queries(
                        args, db, ports, site, gateway, args.rows,
                        title=f"3. Small queries with the gateway and the bare relay on core {cpus[1]} alone, this "
                              f"process, its clients, MariaDB and moto on core {cpus[0]} (both paths)",
                        label="gateway on a core of its own: ")
                finally:
                    for pid in others + relays:
                        pin(pid, everything)
        finally:
            for child in (gateway, relay, c_relay):
                if child is not None:
                    child.stop()
            if db is not None:
                db.stop()
    stats.print_goals(verdicts, "the same client straight to the database")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
