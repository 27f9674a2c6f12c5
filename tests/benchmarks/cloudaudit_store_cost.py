"""What one search costs the local store (osmem-server), by shape: latency and allocation.

    .venv/bin/python tests/benchmarks/cloudaudit_store_cost.py [--events 100000] [--calls 300] [--passes 2] [--store-gogc 5]

Loads the lookup benchmark's history (30 days, 50 accounts, the busiest making 10 %) into a
store of its own, plus 30 small indices (100 documents each), and times each shape of search,
one shape after the other, at the store's HTTP API. Allocation per search is read from the
store's collections (GODEBUG=gctrace=1): heap at the start of each collection minus what the
previous one left live; that takes a store that collects eagerly (GOGC=5, the default), whose
latencies are inflated by its collections. Latencies of a store configured as the lookup
benchmark's (`--store-gogc 400`) are the ones to compare with that benchmark; such a store
collects seldom, and for seconds, slowing whichever shape is measured then: every shape is
measured twice over (`--passes`), and a collection does not fall in the same place twice.
The figures explain the lookup benchmark's: a search pays a fixed cost for every index it names,
whatever the index holds; every filter's posting list is built; and every document matching all
filters is gathered and sorted.
"""
import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cloudaudit_data as data  # noqa: E402
from infra import services  # noqa: E402
from layers.audit import words  # noqa: E402
from layers.audit.document import scoped_key  # noqa: E402
from layers.audit.store import OpenSearchStore  # noqa: E402
from layers.audit.templates import templates  # noqa: E402
from layers.audit.writer import store_events  # noqa: E402

SMALL = "small"                   # the 30 indices of 100 documents each
SMALL_PREFIX = "traillog_small"
JAN_2000 = 946_684_800_000
SORT = [{"EventTime": {"order": "desc"}}, {"EventId": {"order": "desc"}}]
_GC = re.compile(r"(\d+)->(\d+)->(\d+) MB")


def shapes(heavy: str) -> dict:
    account = {"term": {"AccountId": heavy}}
    rare = {"term": {"Keys": scoped_key(heavy, "ResourceIds", "vsm-00000abc")}}
    word = {"term": {"Words": words.scoped(heavy, "677")}}       # a keyword's candidates (keywords.py)
    return {
        "match_none, one daily index": ({"match_none": {}}, 1),
        "match_none, 30 daily indices": ({"match_none": {}}, 30),
        "match_none, 30 indices of 100 docs": ({"match_none": {}}, SMALL),
        "the account's rare word (Words)": ({"bool": {"filter": [word]}}, 30),
        "rare scoped value (Keys)": ({"bool": {"filter": [rare]}}, 30),
        "AccountId & rare scoped value": ({"bool": {"filter": [account, rare]}}, 30),
        "AccountId & the same rare word": ({"bool": {"filter": [account, word]}}, 30),
        "AccountId alone (newest 21)": ({"bool": {"filter": [account]}}, 30),
    }


def collections(log: Path) -> list:
    return [tuple(int(x) for x in m) for m in _GC.findall(log.read_text())]


def measure(store, log: Path, indices: list, query: dict, calls: int) -> tuple:
    """p50 and p90 ms of `calls` searches, and the KB each allocated (read from the collections
    that fell among them: at least three are needed)."""
    body = {"size": 21, "query": query, "sort": SORT, "track_total_hits": False}
    before = collections(log)
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        store.client.search(index=",".join(indices), body=body)
        times.append((time.perf_counter() - t) * 1000)
    after = collections(log)
    live = before[-1][2] if before else 0
    allocated = 0
    for start, _, left in after[len(before):]:
        allocated, live = allocated + start - live, left
    times.sort()
    kb = f"{allocated * 1024 / calls:,.0f}" if len(after) - len(before) >= 3 else "(< 3 GCs)"
    return times[len(times) // 2], times[len(times) * 9 // 10], kb


def settle(log: Path, eager: bool, limit: float = 180.0) -> None:
    """Wait for the store to collect the load's garbage: a store that does not collect eagerly
    does it when its runtime forces a collection (within two minutes of the last), which would
    otherwise fall on whichever shape is being measured then."""
    if not eager:
        seen, start = len(collections(log)), time.monotonic()
        while len(collections(log)) == seen and time.monotonic() - start < limit:
            time.sleep(1.0)
    time.sleep(15)                  # and is idle


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--calls", type=int, default=300, help="searches per shape")
    ap.add_argument("--passes", type=int, default=2, help="every shape measured this many times over: a "
                    "collection falls on whichever shape is measured then, and not in the same place twice")
    ap.add_argument("--store-gogc", default="5", help="5: allocation can be read; 400: latencies as in the "
                    "lookup benchmark")
    args = ap.parse_args()
    fd, name = tempfile.mkstemp(prefix="guardzone-store-cost-", suffix=".log")
    os.close(fd)                      # the store appends to it by name
    log = Path(name)
    os.environ.update(GOGC=args.store_gogc, GODEBUG="gctrace=1", GZ_OSMEM_STDERR=str(log))
    store_proc = services.opensearch_server().start()
    try:
        store = OpenSearchStore(store_proc.url, timeout=300)
        accts, end = data.accounts(50), int(time.time() * 1000) - 60_000
        data.load(store, data.history(0, args.events, target=args.events, days=30, accts=accts,
                                      heavy_share=0.10, end_ms=end))
        names = sorted(store.list_indices("traillog_server_log-*"), reverse=True)
        # the same events, 100 to a day of January 2000, under a prefix of their own
        store.put_templates(templates(SMALL_PREFIX))
        few = data.history(0, 3000, target=3000, days=30, accts=accts, heavy_share=0.10, end_ms=end)
        store_events(store, [dict(e, EventTime=JAN_2000 + (i % 30) * data.DAY + i) for i, e in enumerate(few)],
                     SMALL_PREFIX)
        small = store.list_indices(f"{SMALL_PREFIX}-*")
        eager = int(args.store_gogc) <= 20
        settle(log, eager)
        print(f"{args.events:,} events in {len(names)} daily indices; {args.calls} searches per shape; store "
              f"GOGC={args.store_gogc}" + (" (it collects eagerly so that what a search allocates can be read;\n"
                                           "its latencies compare shapes with each other)\n" if eager else "\n"))
        print(f"  {'shape':34s} {'p50 ms':>7s} {'p90 ms':>7s} {'KB allocated':>13s}")
        for pass_no in range(1, args.passes + 1):
            print(f"  pass {pass_no}")
            for name, (query, n) in shapes(accts[0]).items():
                p50, p90, kb = measure(store, log, small if n == SMALL else names[:n], query, args.calls)
                print(f"  {name:34s} {p50:7.1f} {p90:7.1f} {kb:>13s}", flush=True)
    finally:
        store_proc.stop()
        log.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
