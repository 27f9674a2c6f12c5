"""Cold start: how long `import app` takes in a fresh interpreter (what every Lambda function pays
before its first event: Chalice imports app.py whichever function it runs). Goal <= 0.25 s here
(one core of this machine; a 1,769 MB Lambda has one vCPU, smaller sizes proportionally less).

    .venv/bin/python tests/benchmarks/cold_start.py [--runs 7]

Each run is a new `python -X importtime -c "import app"`; the figure is the median of the runs'
totals (importtime's cumulative time of `app`), with the best beside it, and the heaviest imports of
the median run below, so a regression shows where it came from. Heavy libraries (boto3, asyncssh)
are imported on first use, not at start.
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOAL_S = 0.25


def one_run() -> tuple:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        rows.append((int(cumulative) / 1e6, name.rstrip()))
    total = next(c for c, n in rows if n.strip() == "app")
    return total, rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    one_run()                           # byte-code compiled and files cached: a Lambda's package is too
    runs = sorted((one_run() for _ in range(args.runs)), key=lambda r: r[0])
    median, rows = runs[len(runs) // 2]
    print(f"import app: median {median:.3f} s, best {runs[0][0]:.3f} s of {args.runs} fresh interpreters "
          f"(load average {os.getloadavg()[0]:.1f})")
    heavy = sorted(((c, n) for c, n in rows if len(n) - len(n.lstrip()) <= 3 and n.strip() != "app"), reverse=True)
    print("heaviest imports under app (cumulative):")
    for c, n in heavy[:8]:
        print(f"  {c:.3f} s {n.strip()}")
    print(f"Goal: import app <= {GOAL_S} s: {median:.3f} s, {'meets' if median <= GOAL_S else 'MISSES'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
