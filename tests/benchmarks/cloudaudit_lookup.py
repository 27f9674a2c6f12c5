"""LookupEvents latency at 100 k and 1 M stored events, against the seed's 审计日志检索 pct99 300 ms
(goal: p99 <= 30 ms), plus the store's memory per 100 k events.

    .venv/bin/python tests/benchmarks/cloudaudit_lookup.py [--sizes 100000,1000000] [--max-store-mb 20000]

Runs its own local stack (moto, osmem-server, the app on a local port). The history spans 30
days and 50 accounts; the measured tenant makes 10 % of all events. Each scenario is measured
through the API with the official SDK from a process of its own (signature, HTTP, gateway, query,
response) and, right after, at the query layer, so that both see the store in the same state;
"empty range" is the API's floor in the same run. Before each scenario every key makes one call:
a key's first call after a pause loads its credential and a rate-limit lease from the tables
(not what is measured). --pin runs the store on a core of its own (the last one), as a search
domain runs on nodes of its own, and the SDK client, the API and moto on the others. The store
reports its garbage collections (GODEBUG=gctrace=1): the seconds of collection that overlapped
each scenario's calls are printed beside them, since a search during one is several times slower.
Measuring starts once the store has collected the bulk load's garbage and is idle (settle).
Before each scenario the audit events of the benchmark's own calls are taken off the queue, as
the indexer takes them (drain_audit_queue).
Loading stops early when the store's live data would pass --max-store-mb (an in-memory store:
1 M events may not fit on a small machine); the report says where.

The store is given memory to work in, as a search node is given a heap: osmem-server (Go) runs
with GOGC=400 (the collector runs once the heap has grown by four times the live data, not by
half of it) and GOMEMLIMIT at the budget (so 1 M events still fit: the collector runs sooner as
the heap nears it). A collection running through a search is what made the slowest one per
hundred: a month-long search straight to the store at 100 k measured p99 70-80 ms with GOGC=50
and 10-26 ms with the collector kept out of the way. The store's resident size then says more
about the collector than about the data, so its memory per 100 k events is measured first, in a
store of its own that collects eagerly (GOGC=50: resident size, garbage not yet collected
included), loaded with the same first 100 k events.
"""
import argparse
import multiprocessing
import os
import random
import re
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cloudaudit_data as data  # noqa: E402

SEED_P99_MS, GOAL_P99_MS = 300.0, 30.0
DAY = data.DAY


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def scenarios(call, heavy, light, end, rng, known):
    """name -> a function making one LookupEvents call with the API's parameters."""
    def newest_day():
        return call(heavy, {"StartTime": end - DAY, "EndTime": end, "MaxResults": 20})

    def week_by_event_name():
        name = rng.choice(["ModifyVsmAttributes", "DescribeUsers", "TerminateVsm"])
        return call(heavy, {"StartTime": end - 7 * DAY, "EndTime": end, "MaxResults": 20,
                            "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": name}]})

    def month_keyword():
        # what people type into the console's keyword box: an instance name, an error, a resource id
        keyword = rng.choice([f"支付加密机-{rng.randrange(997)}", "ResourceNotFound", f"vsm-{rng.randrange(5000):08x}"])
        return call(heavy, {"StartTime": end - 30 * DAY, "EndTime": end, "MaxResults": 20, "ContentValue": keyword})

    def month_request_id():
        return call(heavy, {"StartTime": end - 30 * DAY, "EndTime": end, "MaxResults": 20,
                            "LookupAttributes": [{"AttributeKey": "RequestId", "AttributeValue": rng.choice(known)}]})

    def month_source_ip():
        # a rare value that carries no time, half the time one that occurs (about 0.1 % of the
        # tenant's events), half the time one that never does
        n = rng.randrange(1 << 30)
        ip = (f"10.{n % 200}.{n % 50}.{n % 250}" if rng.random() < 0.5 else
              f"10.{rng.randrange(200)}.{rng.randrange(50)}.{rng.randrange(250)}")
        return call(heavy, {"StartTime": end - 30 * DAY, "EndTime": end, "MaxResults": 20,
                            "LookupAttributes": [{"AttributeKey": "SourceIPAddress", "AttributeValue": ip}]})

    def light_tenant_month():
        return call(rng.choice(light), {"StartTime": end - 30 * DAY, "EndTime": end, "MaxResults": 20})

    def deep_page():
        # a page somewhere in the middle of the month, as the console's "加载更多" reaches it
        start = end - 30 * DAY
        upper = end - rng.randrange(29) * DAY - rng.randrange(DAY)
        return call(heavy, {"StartTime": start, "EndTime": upper, "MaxResults": 50})

    def empty_range():
        # a day before the history: no index to read — what the client, HTTP and gateway cost alone
        return call(heavy, {"StartTime": end - 40 * DAY, "EndTime": end - 39 * DAY, "MaxResults": 20})

    return {"empty range (floor: no store)": empty_range, "newest page, last 24 h": newest_day,
            "EventName filter, 7 days": week_by_event_name,
            "ContentValue keyword, 30 days": month_keyword, "RequestId (rare), 30 days": month_request_id,
            "SourceIPAddress (rare), 30 days": month_source_ip,
            "light tenant, 30 days": light_tenant_month, "50 per page, mid-month": deep_page}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--max-store-mb", type=float, default=float(os.environ.get("GZ_BENCH_MAX_STORE_MB", 20000)))
    ap.add_argument("--queries", type=int, default=200, help="calls per scenario")
    ap.add_argument("--store-gogc", default="400", help="GOGC of the measured store (GOMEMLIMIT is the budget)")
    ap.add_argument("--pin", action="store_true", help="the store on a core of its own, the rest on the others")
    args = ap.parse_args()
    cpus = set(os.sched_getaffinity(0))
    store_cpus = {max(cpus)} if args.pin and len(cpus) > 1 else cpus
    sizes = [int(s) for s in args.sizes.split(",")]
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", f"/tmp/guardzone-bench-spool-{os.getpid()}")
    accts, end = data.accounts(50), int(time.time() * 1000) - 60_000
    per_100k = store_memory(min(sizes), accts, end, max(sizes))
    # read by osmem-server (Go) only: the store's heap is its budget
    os.environ["GOGC"], os.environ["GOMEMLIMIT"] = args.store_gogc, f"{int(args.max_store_mb)}MiB"
    os.environ["GOMAXPROCS"] = str(len(store_cpus))
    os.environ["GODEBUG"], os.environ["GZ_OSMEM_STDERR"] = "gctrace=1", GC_LOG
    if store_cpus != cpus:
        os.sched_setaffinity(0, cpus - store_cpus)        # moto and the SDK client inherit it
    from infra.local_stack import LocalStack
    stack = LocalStack(port=0, run_pump=False, audit_delivery="spool").start()
    if store_cpus != cpus:
        pin(stack.opensearch.proc.pid, store_cpus)
        print(f"store on CPU {','.join(map(str, sorted(store_cpus)))}; SDK client, API and moto on "
              f"{','.join(map(str, sorted(os.sched_getaffinity(0))))}\n", flush=True)
    try:
        return run(stack, sizes, args, accts, end, per_100k)
    finally:
        stack.stop()
        if os.path.exists(GC_LOG):
            os.remove(GC_LOG)


GC_LOG = f"/tmp/guardzone-bench-store-{os.getpid()}.log"
_GC_LINE = re.compile(r"gc \d+ @([\d.]+)s [^:]*: ([\d.+]+) ms clock")


def collections(pid: int) -> list:
    """The store's garbage collections so far, (start, end) in wall-clock seconds, from its
    gctrace lines (`gc N @<seconds since start>s ..: <a>+<b>+<c> ms clock, ..`)."""
    with open("/proc/uptime") as f:
        boot = time.time() - float(f.read().split()[0])
    started = boot + int(_stat(pid)[19]) / os.sysconf("SC_CLK_TCK")
    out = []
    with open(GC_LOG) as f:
        for line in f:
            m = _GC_LINE.match(line)
            if m:
                t = started + float(m.group(1))
                out.append((t, t + sum(float(x) for x in m.group(2).split("+")) / 1000))
    return out


def overlap(spans: list, start: float, end: float) -> float:
    return sum(max(0.0, min(e, end) - max(s, start)) for s, e in spans)


def pin(pid: int, cpus: set) -> None:
    """Every thread of a running process onto `cpus` (threads it starts later inherit it)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        os.sched_setaffinity(int(tid), cpus)


def store_memory(n, accts, end, target) -> float:
    """MB per 100 k events: the resident size of a store of its own (GOGC=50) holding the
    benchmark's first n events."""
    from infra import services
    from layers.search.opensearch import OpenSearchStore
    saved = {k: os.environ.pop(k, None) for k in ("GOGC", "GOMEMLIMIT", "GOMAXPROCS")}
    os.environ["GOGC"] = "50"
    side = services.opensearch_server().start()
    try:
        base = data.rss_mb(side.proc.pid)
        data.load(OpenSearchStore(side.url, timeout=300),
                  data.history(0, n, target=target, days=30, accts=accts, heavy_share=0.10, end_ms=end))
        used = data.rss_mb(side.proc.pid) - base
    finally:
        side.stop()
        os.environ.pop("GOGC")
        os.environ.update({k: v for k, v in saved.items() if v is not None})
    per_100k = used / n * 100_000
    print(f"store memory (a store of its own, GOGC=50): {used:,.0f} MB for {n:,} events = "
          f"{per_100k:,.0f} MB per 100 k\n", flush=True)
    return per_100k


def run(stack, sizes, args, accts, end, per_100k) -> int:
    from layers import identity
    from layers.audit.lookup import LookupRequest, lookup
    from layers.search.default import default_store
    from layers.search.opensearch import OpenSearchStore
    from layers.gateway.action import RequestContext

    store = default_store()
    loader = OpenSearchStore(store.url, timeout=300)
    pid = stack.opensearch.proc.pid
    keys = {}
    for uin in accts:
        identity.create_account("bench", owner_uin=uin, rate_limit=100000)
    for uin in accts[:6]:
        keys[uin] = {"OwnerUin": uin, **identity.create_key(uin)}
    heavy, light = accts[0], accts[1:6]
    target = max(sizes)
    rng = random.Random(11)
    loaded, stopped_at, t_load = 0, None, 0.0
    print(f"LookupEvents benchmark: {target:,} events planned over 30 days, 50 accounts "
          f"(measured tenant: 10 %); store budget {args.max_store_mb:.0f} MB, "
          f"(store: GOGC={os.environ['GOGC']} GOMEMLIMIT={os.environ['GOMEMLIMIT']})\n",
          flush=True)
    for size in sizes:
        while loaded < size:
            step = min(50_000, size - loaded)
            t = time.time()
            data.load(loader, data.history(loaded, loaded + step, target=target, days=30, accts=accts,
                                          heavy_share=0.10, end_ms=end))
            t_load += time.time() - t
            loaded += step
            print(f"  loaded {loaded:>9,}  store resident {data.rss_mb(pid):,.0f} MB  "
                  f"({loaded / t_load:,.0f} events/s bulk)", flush=True)
            # live data is at least a third less than the eager store's resident size (GOGC=50);
            # stop before the next step's would pass the budget
            live_per_event = per_100k / 100_000 / 1.5
            if live_per_event * (loaded + 50_000) > 0.9 * args.max_store_mb and loaded < target:
                stopped_at = loaded
                break
        waited = settle(pid)
        print(f"  store collected and idle {waited:.0f} s after loading", flush=True)
        measure(stack, store, keys, heavy, light, end, rng, loaded, args.queries, lookup, LookupRequest,
                RequestContext)
        print(f"  store resident: {data.rss_mb(pid):,.0f} MB with {loaded:,} events (its heap budget: "
              f"{args.max_store_mb:.0f} MB)\n", flush=True)
        if stopped_at:
            print(f"STOPPED at {stopped_at:,} events: the next 50 k would pass the {args.max_store_mb:.0f} MB "
                  f"budget of the in-memory store (osmem-server). Sizes not reached: "
                  f"{', '.join(f'{s:,}' for s in sizes if s > stopped_at)}.")
            break
    else:
        print(f"Reached {loaded:,} events, every size asked for.")
    return 0


def _stat(pid: int) -> list:
    """/proc/<pid>/stat's fields after the command name (fields[0] is the state)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, limit: float = 180.0) -> float:
    """Wait until the store has collected the bulk load's garbage and is idle. Searches are
    measured in the steady state, as a store written to steadily serves them: loading here runs
    at a thousand events a second, not the few a 1 M-event month brings, and leaves the heap
    full of garbage whose collection (the runtime forces one within two minutes of the last)
    would otherwise fall on the first searches."""
    start, loaded = time.monotonic(), time.time()
    while time.monotonic() - start < limit:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        collected = any(s > loaded and e < time.time() for s, e in collections(pid))
        if collected and cpu_seconds(pid) - before < 0.05:
            break
    return time.monotonic() - start


_clients = {}


def _sdk_clients(endpoint, keys, end):
    """In the client process, once: an SDK client per key, each key's first call made (it loads
    the key into the server's caches: not what is measured)."""
    from helpers import common_client
    for uin, k in keys.items():
        _clients[uin] = common_client(endpoint, k, "cloudaudit", "2019-03-04")
    _first_calls(end)


def _first_calls(end):
    for client in _clients.values():
        client.call_json("LookupEvents", {"StartTime": end - 40 * DAY, "EndTime": end - 39 * DAY, "MaxResults": 1})


def api_latencies(name, heavy, light, end, known, n, seed):
    """In the client process: one scenario through the official SDK."""
    def api(uin, params):
        return _clients[uin].call_json("LookupEvents", params)["Response"]

    _first_calls(end)
    fn = scenarios(api, heavy, light, end, random.Random(seed), known)[name]
    fn()  # warm
    return timed(fn, n)


def drain_audit_queue() -> int:
    """Take the audit events of the benchmark's own calls off the queue, as the indexer would
    (it runs apart from the API, and its pace is the pipeline benchmark's). Left to pile up,
    they cost the machine the searches share: moto's SendMessage reads every queued message's
    state for each message it takes (its queue attributes), so the audit events' shipping took
    more CPU than the store's searches (moto 0.6 of a core, the store 0.4, a thousand calls
    into a run)."""
    from layers import aws
    from layers.config import settings
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=settings().audit_queue)["QueueUrl"]
    drained = 0
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", [])
        if not got:
            return drained
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(got)])
        drained += len(got)


def measure(stack, store, keys, heavy, light, end, rng, loaded, n, lookup, LookupRequest, RequestContext):
    from layers.audit.document import to_event
    from layers.audit.document import family
    from layers.search.query import Search
    known = [to_event(h.source)["RequestId"] for h in store.search(
        Search(family("traillog_server_log"), heavy, 0, end, size=200)).hits]

    def layer(uin, params):
        ctx = RequestContext(request_id="b", service="cloudaudit", version="2019-03-04", action="LookupEvents",
                             region="ap-guangzhou", account=uin, uin=uin)
        attrs = [(a["AttributeKey"], a["AttributeValue"]) for a in params.get("LookupAttributes", [])]
        return lookup(LookupRequest(start_time=params["StartTime"], end_time=params["EndTime"],
                                    max_results=params["MaxResults"], attributes=attrs,
                                    content_value=params.get("ContentValue", "")), ctx, store=store)

    print(f"  {loaded:,} events — p50 / p99 in ms (seed pct99 {SEED_P99_MS:.0f} ms, goal {GOAL_P99_MS:.0f} ms)")
    print(f"  {'scenario':34s} {'API p50':>8s} {'API p99':>8s} {'query p50':>10s} {'query p99':>10s}"
          f"  {'store GC s (API / query)':>24s}")
    all_api, all_layer, started = [], [], time.time()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_sdk_clients, initargs=(stack.endpoint, keys, end)) as pool:
        for name, fn in scenarios(layer, heavy, light, end, rng, known).items():
            drain_audit_queue()
            # the same scenario through the API, then at the query layer, one right after the other
            t0 = time.time()
            lat_api = pool.submit(api_latencies, name, heavy, light, end, known, n, rng.randrange(1 << 30)).result()
            t1 = time.time()
            fn()  # warm
            lat_layer = timed(fn, n)
            t2 = time.time()
            gcs = collections(stack.opensearch.proc.pid)
            if not name.startswith("empty"):
                all_api += lat_api
                all_layer += lat_layer
            print(f"  {name:34s} {pct(lat_api, 50):8.1f} {pct(lat_api, 99):8.1f} {pct(lat_layer, 50):10.1f} "
                  f"{pct(lat_layer, 99):10.1f}  {overlap(gcs, t0, t1):10.1f} / {overlap(gcs, t1, t2):.1f}",
                  flush=True)
    gcs = [g for g in collections(stack.opensearch.proc.pid) if g[1] > started]
    took = time.time() - started
    print(f"  the store collected {len(gcs)} times in the {took:.0f} s of measurement, "
          f"{sum(e - s for s, e in gcs):.1f} s in all (each {min((e - s for s, e in gcs), default=0):.1f}-"
          f"{max((e - s for s, e in gcs), default=0):.1f} s)")
    for label, values in (("all searches, API", all_api), ("all searches, query layer", all_layer)):
        verdict = "meets" if pct(values, 99) <= GOAL_P99_MS else "misses"
        print(f"  {label:34s} p50 {pct(values, 50):.1f}  p99 {pct(values, 99):.1f}  mean {statistics.mean(values):.1f}"
              f"   -> {verdict} the {GOAL_P99_MS:.0f} ms goal (seed {SEED_P99_MS:.0f} ms)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
