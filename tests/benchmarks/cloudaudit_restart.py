"""Restart of the local stack on a data folder holding 1 M audit events, to the first LookupEvents
answered through the API with the official SDK. Goal: <= 2 s, with no reindexing.

    .venv/bin/python tests/benchmarks/cloudaudit_restart.py [--events 1000000] [--rounds 3] [--quick]

Makes a data folder (GZ_DATA_DIR) in a temporary place and starts `python -m infra.local_stack`
on it once, so that moto's kept state holds the demo account and its key; stops it; loads the
history into <data>/search (the embedded store) with the demo account as the measured tenant
(10 % of the events) over the 30 days before today, so that the audit events of the benchmark's
own calls land on a day of their own. Then it restarts the stack on the folder, each round twice:
  - from process start, LookupEvents (the newest page of the history's 30 days) is called every
    20 ms until one is answered with events: process start -> first answer;
  - from process start it waits until the stack is ready (its --state file written), then makes
    the first LookupEvents: ready -> first answer; then one over the whole month for a value no
    event holds (every day's index read: the first read of a day checks its files' checksums).
No reindexing: after every restart the files of the history's days (names, sizes, modification
times) are those the load left, each day holds as many records, and the answers hold events.
"""
import argparse
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_stats as stats  # noqa: E402
import cloudaudit_data as data  # noqa: E402

GOAL_S = 2.0
DAYS = 30
POLL_S = 0.02


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", help="use (and keep) this data folder; loaded once, reused by later runs")
    ap.add_argument("--quick", action="store_true", help="20,000 events, one round")
    args = ap.parse_args()
    if args.quick:
        args.events, args.rounds = 20_000, 1
    folder = Path(args.keep or tempfile.mkdtemp(prefix="guardzone-restart-"))
    print(f"Local stack restart — {stats.machine()}\n", flush=True)
    try:
        return run(folder, args)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


class Stack:
    """`python -m infra.local_stack` on a data folder, as `make local` runs it."""

    def __init__(self, folder: Path) -> None:
        from infra.services import free_port
        self.folder, self.state = folder, folder / "bench-state.json"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("GZ_", "AWS_"))}
        self.env.update(GZ_DATA_DIR=str(folder), GZ_PORT=str(free_port()), GZ_TCCLI_PROFILE="")
        self.endpoint = f"127.0.0.1:{self.env['GZ_PORT']}"
        self.proc = None

    def start(self) -> float:
        """Starts it; returns the moment it was started (perf_counter)."""
        self.state.unlink(missing_ok=True)
        log = open(self.folder / "bench-stack.log", "ab")
        started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "infra.local_stack", "--state", str(self.state)],
                                     cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     start_new_session=True)
        log.close()
        return started

    def ready(self, timeout: float = 120.0) -> float:
        """Waits until the stack wrote its state file; returns that moment."""
        import json
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the stack exited with {self.proc.returncode}; see {self.folder}/bench-stack.log")
            try:
                self.demo = json.loads(self.state.read_text())
                return time.perf_counter()
            except (OSError, ValueError):
                time.sleep(0.005)
        raise RuntimeError("the stack was not ready in time")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=180)


def run(folder: Path, args) -> int:
    from infra.data_dir import DataDir
    stack = Stack(folder)
    search = DataDir(str(folder)).search
    today = dt.datetime.now(dt.timezone.utc).date()
    end = int(dt.datetime(today.year, today.month, today.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
    stack.start()
    stack.ready()
    demo = stack.demo
    stack.stop()
    marker = folder / "bench-loaded.txt"
    if not (marker.exists() and marker.read_text() == f"{args.events} {demo['OwnerUin']} {end}"):
        accts = [demo["OwnerUin"]] + data.accounts(50)[1:]
        got = data.load_embedded(str(search), 0, args.events, target=args.events, accts=accts, end_ms=end,
                                 days=DAYS, heavy_share=0.10)
        marker.write_text(f"{args.events} {demo['OwnerUin']} {end}")
        print(f"loaded {args.events:,} events in {got['seconds']:.0f} s into {search} "
              f"({stats.disk_mb(str(search)):,.0f} MB on disk)", flush=True)
    files, counts = history_files(search, today), day_counts(search, today)
    print(f"the history: {sum(counts.values()):,} events in {len(counts)} days, {len(files)} files\n", flush=True)

    from helpers import common_client
    client = common_client(stack.endpoint, demo, "cloudaudit", "2019-03-04")
    newest = {"StartTime": end - DAYS * data.DAY, "EndTime": end - 1, "MaxResults": 10}
    nowhere = {**newest, "LookupAttributes": [{"AttributeKey": "SourceIPAddress", "AttributeValue": "10.0.0.255"}]}
    first_answers, after_ready, ready_times, month_scans, kept = [], [], [], [], True
    for r in range(args.rounds):
        started = stack.start()
        answered = poll_first_answer(client, newest, stack)
        ready = stack.ready()
        stack.stop()
        first_answers.append(answered - started)
        ready_times.append(ready - started)
        kept &= check(search, today, files, counts, f"round {r + 1}, from start")

        started = stack.start()
        ready = stack.ready()
        t = time.perf_counter()
        events = lookup(client, newest)
        answered = time.perf_counter()
        lookup(client, nowhere)
        scanned = time.perf_counter()
        stack.stop()
        if not events:
            raise RuntimeError("the first answer after ready held no events")
        after_ready.append(answered - t)
        month_scans.append(scanned - answered)
        ready_times.append(ready - started)
        kept &= check(search, today, files, counts, f"round {r + 1}, after ready")
        print(f"  round {r + 1}: start -> first answer {first_answers[-1]:.2f} s; start -> ready "
              f"{ready_times[-2]:.2f} / {ready_times[-1]:.2f} s; ready -> first answer {after_ready[-1] * 1000:.0f} ms; "
              f"then a whole month read {month_scans[-1] * 1000:.0f} ms", flush=True)

    worst = max(first_answers)
    print(f"\n{args.events:,} events kept, {args.rounds} rounds (worst of each):")
    print(f"  process start -> first LookupEvents answered: {worst:.2f} s — goal <= {GOAL_S:.0f} s: "
          f"{stats.verdict(worst, GOAL_S)}")
    print(f"  process start -> stack ready: {max(ready_times):.2f} s; ready -> first answer "
          f"{max(after_ready) * 1000:.0f} ms; a whole month read next {max(month_scans) * 1000:.0f} ms")
    print(f"  no reindexing (the history's files and counts unchanged, answers hold events): "
          f"{'yes' if kept else 'NO'}")
    return 0


def lookup(client, params) -> list:
    return client.call_json("LookupEvents", params)["Response"]["Events"]


def poll_first_answer(client, params, stack) -> float:
    """Calls LookupEvents every POLL_S until it is answered with events; returns that moment."""
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    while True:
        if stack.proc.poll() is not None:
            raise RuntimeError(f"the stack exited with {stack.proc.returncode}")
        try:
            if lookup(client, params):
                return time.perf_counter()
        except TencentCloudSDKException:
            pass                        # not listening yet
        time.sleep(POLL_S)


def history_files(search: Path, today: dt.date) -> dict:
    """Every file of the history's days: relative path -> (size, modification time)."""
    out = {}
    for path in search.rglob("*"):
        if path.is_file() and _day(path.parent.name) and _day(path.parent.name) < today:
            st = path.stat()
            out[str(path.relative_to(search))] = (st.st_size, st.st_mtime_ns)
    return out


def day_counts(search: Path, today: dt.date) -> dict:
    from layers.audit.document import family
    from layers.search.embedded import EmbeddedStore
    store = EmbeddedStore(str(search))
    try:
        fam = family(data.PREFIX)
        return {d: store.count(fam, d) for d in store.days(fam) if d < today}
    finally:
        store.close()


def _day(name: str):
    try:
        return dt.datetime.strptime(name, "%Y.%m.%d").date()
    except ValueError:
        return None


def check(search: Path, today: dt.date, files: dict, counts: dict, when: str) -> bool:
    same_files, same_counts = history_files(search, today) == files, day_counts(search, today) == counts
    if not (same_files and same_counts):
        print(f"  {when}: the history changed ({'files' if not same_files else 'counts'})", flush=True)
    return same_files and same_counts


if __name__ == "__main__":
    sys.exit(main())
