"""Bastion SSH gateway: SFTP throughput through the gateway as a ratio to SFTP straight to the
target, both measured in the same run.

    .venv/bin/python tests/benchmarks/bastion_sftp.py [--mb 200] [--repeat 3] [--cipher NAME] [--no-pinned] [--no-openssh]

The processes are bastion_gateway.py's (whose helpers this imports): this one (the local
stack's API and the asyncssh SFTP client), the demo target host (infra/demo_host.py, whose SFTP
server is asyncssh's) and the gateway (`python -m infra.ssh_gateway`).
The operator's ACL allows uploads and downloads without a size limit, so every request passes
the gateway's checks and every file is recorded.

--mb MB (10^6 bytes) of random data: downloaded from a file in the target's home with asyncssh's
`get` into /dev/null, and uploaded from a local file with `put` into a file of the target's
home, --repeat times each way and path (the median is shown, with the CPU seconds of each
process in a run). The files are in memory (/dev/shm) where the machine has it: what each upload
leaves for the disk to write would otherwise slow the runs after it, whichever path they take. Goal: through / straight >= 0.8 each way, judged on a) below. Beside, for
reference, a relay in C (bastion_gateway.OpenSsh; root and openssh-server): the same client
straight to a private sshd's SFTP (internal-sftp), and through a second sshd whose own `ssh -s sftp`
carries the session to the first's, checking and recording nothing; its ratio is to straight
OpenSSH.

  a) shared cores: every process on every CPU of this machine, the figure the goal was written
     against and the stricter one (the gateway, a third busy process, takes CPU from the client
     and the target it sits between).
  b) pinned (left out with --no-pinned or on one CPU): the gateway alone on CPU 0, the client,
     the target and moto on the others, straight runs pinned the same way: the deployment, where
     the gateway is a host of its own. Printed beside a), not instead of it.
"""
import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bastion_gateway as bg  # noqa: E402 - it puts the project and the test helpers on sys.path
import bench_stats as stats  # noqa: E402

GOAL_RATIO = 0.8


def allow_files(stack, acct: dict) -> None:
    from infra import demo_bastion
    api = demo_bastion.Api(stack.endpoint, acct)
    for acl in api("DescribeAcls", Limit=100)["AclSet"]:
        api("ModifyAcl", Id=acl["Id"], Name=acl["Name"], AllowDiskRedirect=False, AllowAnyAccount=True,
            AllowFileUp=True, AllowFileDown=True, MaxFileUpSize=0, MaxFileDownSize=0)


async def measure(args, target: bg.Target, gateway: bg.Gateway, pool: bg.Pool, moto_pid: int, home: str,
                  work: str) -> List[str]:
    size = int(args.mb * 1e6)
    local = os.path.join(work, "local.bin")
    with open(local, "wb") as f:
        for _ in range(0, size, 1 << 24):
            f.write(os.urandom(min(1 << 24, size - f.tell())))
    shutil.copyfile(local, os.path.join(home, "sftp-bench.bin"))
    openssh, why_not = bg.OpenSsh.start(args.no_openssh)
    lines: List[str] = []
    ways: Dict[str, bg.Route] = {}
    clients: Dict[str, object] = {}
    # the file each route downloads and the one it uploads (relative: in the demo target's home)
    files = {name: ("sftp-bench.bin", "sftp-bench-up.bin") for name in ("straight", "gateway")}
    try:
        ways = await bg.routes(target, {"gateway": (await bg.through(gateway.port, pool), gateway.pid)}, moto_pid,
                               openssh)
        for name, route in ways.items():
            clients[name] = await openssh.sftp(route.conn, relayed=name == "OpenSSH relay") \
                if "OpenSSH" in name else await route.conn.start_sftp_client()
        if openssh:
            down = os.path.join(work, "openssh-down.bin")
            shutil.copyfile(local, down)
            files["straight, OpenSSH"] = files["OpenSSH relay"] = (down, os.path.join(work, "openssh-up.bin"))
        await rounds_all(args, size, local, home, ways, clients, files, lines, why_not)
    finally:
        for sftp in clients.values():
            sftp.exit()
        for route in ways.values():
            route.conn.close()
        if openssh:
            openssh.close()
        for down, up in files.values():
            for path in (down, up, local):
                path = path if os.path.isabs(path) else os.path.join(home, path)
                if os.path.exists(path):
                    os.remove(path)
    print(flush=True)
    return lines


async def rounds_all(args, size, local, home, ways: Dict[str, "bg.Route"], clients, files, lines, why_not) -> None:
    conns = {name: route.conn for name, route in ways.items()}
    cpus = bg.pinning()
    print(f"SFTP, {size / 1e6:,.0f} MB of random data, the median of {args.repeat} runs; the client's cipher "
          f"{bg.ciphers(conns)}; CPU seconds of each process in a run")
    if why_not:
        print(f"  (no OpenSSH relay for reference: {why_not})")
    else:
        print("  The OpenSSH pair, for reference: straight to a private sshd's SFTP (internal-sftp), and through "
              "a second sshd whose own `ssh -s` carries it to the first's (a relay in C that decrypts and "
              "encrypts again, checking and recording nothing); its relay column is the middle sshd's processes")

    def arrived(name: str) -> int:
        up = files[name][1]
        return os.path.getsize(up if os.path.isabs(up) else os.path.join(home, up))

    async def rounds(pinned: bool) -> None:
        where = "pinned" if pinned else "shared cores"
        bg.print_where(pinned, cpus, "the gateway (or the middle sshd)")
        for way in ("download", "upload"):
            def run(name: str, i: int, way=way):
                sftp = clients[name]
                return sftp.get(files[name][0], os.devnull) if way == "download" else sftp.put(local, files[name][1])

            async def after(name: str, way=way) -> None:
                if way == "upload" and arrived(name) != size:
                    raise RuntimeError(f"the upload ({name}) did not arrive whole")
                await asyncio.sleep(0.5)

            took, cpu = await bg.measure_way(ways, args.repeat, pinned, run, after)
            print(f"    {way}")
            bg.print_rows(ways, took, cpu, size)
            base = statistics.median(took["straight"])
            g = statistics.median(took["gateway"])
            ratio = base / g
            verdict = stats.ratio_verdict(ratio, GOAL_RATIO, pinned=pinned)
            lines.append(f"SFTP {way}, {where}: {bg.shown(ratio)} of straight ({size / g / 1e6:.1f} vs "
                         f"{size / base / 1e6:.1f} MB/s{bg.reference_note(took)}), {verdict}")

    await rounds(False)
    if cpus and not args.no_pinned:
        await rounds(True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=200, help="MB (10^6 bytes) each transfer")
    ap.add_argument("--repeat", type=int, default=3, help="transfers each way and path (the median is shown)")
    ap.add_argument("--cipher", help="the client's only cipher (e.g. aes128-gcm@openssh.com)")
    ap.add_argument("--no-openssh", action="store_true", help="leave out the OpenSSH relay for reference")
    ap.add_argument("--no-pinned", action="store_true", help="leave out the pinned runs (the gateway on a CPU of "
                                                              "its own)")
    ap.add_argument("--serve-target", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_target:
        bg.serve_target()
        return 0
    if args.cipher:
        bg.CLIENT["encryption_algs"] = [args.cipher]
    # in memory where the machine has a tmpfs: the disk's writeback of earlier runs' files is not measured
    work = tempfile.mkdtemp(prefix="guardzone-bench-sftp-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", os.path.join(work, "audit-spool"))
    os.environ["GZ_RECORDING_SPOOL_DIR"] = os.path.join(work, "recordings")
    print(f"Bastion SSH gateway, SFTP — {stats.machine()}\n", flush=True)
    from bench_stack import local_stack
    verdicts: List[str] = []
    with local_stack("embedded", run_pump=False, audit_delivery="spool") as stack:
        target = gateway = None
        try:
            target = bg.Target(work)
            operators, acct = bg.make_bastion(stack, target, 2)
            allow_files(stack, acct)
            gateway = bg.Gateway(work)
            print(f"the gateway is process {gateway.pid}, the target {target.pid}, moto {stack.moto.proc.pid}, this "
                  f"one {os.getpid()}; logs in {work}\n", flush=True)
            verdicts = asyncio.run(measure(args, target, gateway, bg.Pool(operators), stack.moto.proc.pid,
                                           os.path.join(work, "home"), work))
        finally:
            for child in (gateway, target):
                if child is not None:
                    child.stop()
    stats.print_goals(verdicts, "SFTP straight to the target", load=False)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
