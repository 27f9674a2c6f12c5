"""What the benchmarks measure with: percentiles, timings, a process's memory and CPU time, a
folder's size on disk, and the machine they ran on."""
import os
import platform
import time
from typing import Callable, Dict, List


def pct(values: List[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def timed(fn: Callable[[], object], n: int) -> List[float]:
    """Milliseconds of n calls."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def memory(pid: int) -> Dict[str, float]:
    """A process's resident memory in MB: rss = anon (its own pages) + file (mapped files'
    pages it touched, shared with the page cache) + shmem; hwm, the largest rss so far."""
    fields = {"VmRSS": "rss", "RssAnon": "anon", "RssFile": "file", "VmHWM": "hwm"}
    out = {v: 0.0 for v in fields.values()}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in fields:
                out[fields[name]] = int(value.split()[0]) / 1024
    return out


def grown(after: Dict[str, float], before: Dict[str, float]) -> str:
    return (f"{after['rss'] - before['rss']:,.0f} MB ({after['anon'] - before['anon']:,.0f} anonymous + "
            f"{after['file'] - before['file']:,.0f} mapped files)")


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU time of a process, all its threads (`reaped`: and of the children it
    has waited for)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15 if reaped else 13]) / os.sysconf("SC_CLK_TCK")


def disk_mb(path: str) -> float:
    """The space the files under `path` take on disk."""
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total / 1e6


def verdict(value: float, goal: float, *, at_least: bool = False) -> str:
    ok = value >= goal if at_least else value <= goal
    return "meets" if ok else "MISSES"


def ratio_verdict(ratio: float, goal: float, *, pinned: bool) -> str:
    """A throughput ratio against its goal; a pinned run's figure is shown, not judged."""
    if pinned:
        return f"{'at least' if ratio >= goal else 'under'} {goal} (not the goal's figure)"
    return f"goal >= {goal}: {verdict(ratio, goal, at_least=True)}"


def machine() -> str:
    load = os.getloadavg()
    return (f"{platform.node() or 'this machine'}: {os.cpu_count()} cores, "
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB, "
            f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start (other work shares it)")


def print_goals(verdicts: List[str], beside: str, *, load: bool = True) -> None:
    """The closing block: the machine's load at the end (other work shares it), then each goal's
    line, every figure measured in this run beside `beside` (what it is compared with)."""
    if load:
        avg = os.getloadavg()
        print(f"Load average at the end {avg[0]:.1f} / {avg[1]:.1f} / {avg[2]:.1f}\n")
    print(f"Goals (each figure measured above in this run, beside {beside})")
    for line in verdicts:
        print(f"  {line}")
