"""LookupEvents latency, store memory and disk: the embedded store at 100 k and 1 M events and
osmem-server at the sizes it holds within a memory budget, side by side in one run. Goals: for
every scenario p99 <= 10 ms at the query layer and <= 15 ms through the API with the official
SDK (the API's floor, an empty range, printed beside it); at 1 M the store's resident memory
<= 500 MB and its disk <= 1 GB.

    .venv/bin/python tests/benchmarks/cloudaudit_lookup.py [--sizes 100000,1000000]
        [--osmem-sizes 100000,200000] [--osmem-budget-mb 6000] [--stores embedded,opensearch]
        [--queries 200] [--quick]

Each store runs in a local stack of its own (moto, the app on a local port; no pump). The
history spans 30 days and 50 accounts, each with six users and keys; the measured tenant makes
10 % of all events. Both stores hold the same events: the first n of one history of
max(--sizes) events, each prefix spanning the whole month.

Each scenario is measured through the API with the official SDK (tencentcloud-sdk-python's
CommonClient, LookupEvents 2019-03-04) from a process of its own — signature, HTTP, gateway,
query, response — and, right after, at the query layer (layers/audit/lookup.py) in another
process that holds only the store and answers the searches. That process also measures the
embedded store's memory: its resident size after the scenarios less its size before it opened
the store, split into its own pages (anonymous) and the index files' pages it mapped (shared
with the page cache); osmem-server's memory is its process's resident size. The embedded store
is loaded by a process that only writes it (tests/benchmarks/cloudaudit_data.py), whose
largest resident size after a write is the store's while written. Before each scenario the
audit events of the benchmark's own calls are taken off the queue, as the indexer would
(drain_audit_queue), and each process makes the scenario's call once before the timed ones. Before
the first scenario each process reads every day of the month once: its first read of a day checks
the day's files against their checksums, a one-off per process that the restart benchmark measures.
"""
import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_stats as stats  # noqa: E402
from bench_stack import local_stack  # noqa: E402
import cloudaudit_data as data  # noqa: E402

GOAL_QUERY_MS, GOAL_API_MS = 10.0, 15.0
GOAL_MEMORY_MB, GOAL_DISK_MB = 500.0, 1000.0
DAYS, ACCOUNTS, HEAVY_SHARE = 30, 50, 0.10
DAY, HOUR = data.DAY, 3_600_000
FLOOR = "API floor: an empty range"
RARE = "rare value: an address none has"
CHINESE = ("退还虚拟加密机", "修改访问权限", "查询用户列表", "新建用户", "加密机")
LATIN = ("ResourceNotFound", "DescribeUsers", "does not exist")
RESOURCE_IDS = [data.resource(k)[1] for k in range(data.RESOURCES) if data.resource(k)[0]]
OSMEM_STEP = 50_000


@dataclass
class Known:
    """Ids of the tenant's events, spread over the month (for the EventId and RequestId lookups)."""
    event_ids: List[str]
    request_ids: List[str]


def scenarios(call, tenant: str, end: int, rng: random.Random, known: Known) -> Dict[str, callable]:
    """name -> a function making one LookupEvents call; `call(uin, params)` makes it."""
    month = end - DAYS * DAY

    def page(extra=None, size=10, start=month, stop=end):
        return call(tenant, {"StartTime": start, "EndTime": stop, "MaxResults": size, **(extra or {})})

    def attribute(key, pick):
        return lambda: page({"LookupAttributes": [{"AttributeKey": key, "AttributeValue": pick()}]})

    def window():
        start = month + rng.randrange(DAYS * DAY - HOUR)
        return page(start=start, stop=start + HOUR)

    def keyword(words):
        return lambda: page({"ContentValue": rng.choice(words)})

    return {
        FLOOR: lambda: call(tenant, {"StartTime": end - 40 * DAY, "EndTime": end - 39 * DAY, "MaxResults": 10}),
        "newest page (10), 30 days": page,
        "time window: 1 h of the month": window,
        "EventName": attribute("EventName", lambda: rng.choice(data.ACTIONS)[1]),
        "ReadOnly": attribute("ReadOnly", lambda: rng.choice(["true", "false"])),
        "Username": attribute("Username", lambda: data.user(tenant, rng.randrange(data.USERS))),
        "ResourceType": attribute("ResourceType", lambda: rng.choice(["vsm", "user", "acl"])),
        "ResourceName (~1/5000)": attribute("ResourceName", lambda: rng.choice(RESOURCE_IDS)),
        "AccessKeyId": attribute("AccessKeyId", lambda: data.secret_id(tenant, rng.randrange(data.USERS))),
        "EventId": attribute("EventId", lambda: rng.choice(known.event_ids)),
        "RequestId": attribute("RequestId", lambda: rng.choice(known.request_ids)),
        "SourceIPAddress (~1/1000)": attribute("SourceIPAddress", lambda: data.source_ip(rng.randrange(1000))),
        "ApiErrorCode": attribute("ApiErrorCode", lambda: "ResourceNotFound"),
        "ActionType": attribute("ActionType", lambda: rng.choice(["Read", "Write"])),
        "Tags": attribute("Tags", lambda: json.dumps([{"key": "env", "value": rng.choice(data.ENVIRONMENTS)}])),
        RARE: attribute(
            "SourceIPAddress", lambda: f"10.{rng.randrange(200)}.{rng.randrange(50)}.{250 + rng.randrange(5)}"),
        "Chinese keyword": keyword(CHINESE),
        "Latin keyword": keyword(LATIN),
        "50 per page, mid-month": lambda: page(size=50, stop=end - rng.randrange(DAYS - 1) * DAY),
    }


# ---- the query layer, in a process that holds only the store ----
_layer: dict = {}


def _layer_open(kind: str, location: str) -> None:
    from layers.audit import paging
    from layers.audit.lookup import LookupRequest, lookup  # noqa: F401 (imported before the baseline)
    paging._signing_key()               # the NextToken key, read once from the export table
    _layer["base"] = stats.memory(os.getpid())
    if kind == "embedded":
        from layers.search.embedded import EmbeddedStore
        _layer["store"] = EmbeddedStore(location)
    else:
        from layers.search.opensearch import OpenSearchStore
        _layer["store"] = OpenSearchStore(location, timeout=60)


def _layer_call(uin: str, params: dict) -> int:
    from layers.audit.lookup import LookupRequest, lookup
    from layers.gateway.action import RequestContext
    ctx = RequestContext(request_id="bench", service="cloudaudit", version="2019-03-04", action="LookupEvents",
                         region="ap-guangzhou", account=uin, uin=uin)
    attrs = [(a["AttributeKey"], a["AttributeValue"]) for a in params.get("LookupAttributes", [])]
    page = lookup(LookupRequest(start_time=params["StartTime"], end_time=params["EndTime"],
                                max_results=params["MaxResults"], attributes=attrs,
                                content_value=params.get("ContentValue", "")), ctx, store=_layer["store"])
    return len(page.events)


def _layer_run(name, tenant, end, known, n, seed) -> tuple:
    return _run(_layer_call, name, tenant, end, known, n, seed)


def _layer_memory() -> tuple:
    return _layer["base"], stats.memory(os.getpid())


# ---- the API through the official SDK, in a process of its own ----
_clients: dict = {}


def _api_open(endpoint: str, keys: dict) -> None:
    from helpers import common_client
    for uin, key in keys.items():
        _clients[uin] = common_client(endpoint, key, "cloudaudit", "2019-03-04")


def _api_call(uin: str, params: dict) -> int:
    return len(_clients[uin].call_json("LookupEvents", params)["Response"]["Events"])


def _api_run(name, tenant, end, known, n, seed) -> tuple:
    return _run(_api_call, name, tenant, end, known, n, seed)


def _run(call, name, tenant, end, known, n, seed) -> tuple:
    """(latencies in ms, mean events per call) of n calls of a scenario, after one untimed."""
    found: List[int] = []
    fn = scenarios(lambda uin, params: found.append(call(uin, params)), tenant, end, random.Random(seed), known)[name]
    fn()
    found.clear()
    return stats.timed(fn, n), statistics.mean(found) if found else 0.0


# ---- the parent: stacks, loading, measuring ----
@dataclass
class Measured:
    store: str
    size: int
    rows: Dict[str, tuple] = field(default_factory=dict)   # name -> (events, query ms, API ms)
    memory: str = ""
    memory_mb: float = 0.0
    disk_mb: float = 0.0
    notes: List[str] = field(default_factory=list)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="events held by the embedded store when measured")
    ap.add_argument("--osmem-sizes", default="100000,200000", help="events held by osmem-server when measured")
    ap.add_argument("--osmem-budget-mb", type=float, default=6000.0,
                    help="osmem-server stops growing before its resident size would pass this")
    ap.add_argument("--stores", default="embedded,opensearch")
    ap.add_argument("--queries", type=int, default=400, help="timed calls per scenario and layer")
    ap.add_argument("--osmem-queries", type=int, default=100,
                    help="the same for osmem-server (its month-long searches take 50-300 ms)")
    ap.add_argument("--quick", action="store_true", help="20 k events in each store, 50 calls per scenario")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.osmem_sizes, args.queries, args.osmem_queries = "20000", "20000", 50, 50
    sizes = {"embedded": [int(s) for s in args.sizes.split(",")],
             "opensearch": [int(s) for s in args.osmem_sizes.split(",")]}
    stores = [s.strip() for s in args.stores.split(",")]
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", f"/tmp/guardzone-bench-spool-{os.getpid()}")
    accts, end = data.accounts(ACCOUNTS), int(time.time() * 1000) - 60_000
    target = max(sizes["embedded"] + sizes["opensearch"])     # one history, whichever stores are run
    print(f"LookupEvents benchmark — {stats.machine()}\n"
          f"history: {target:,} events over {DAYS} days, {ACCOUNTS} accounts; the measured tenant makes "
          f"{HEAVY_SHARE:.0%}; timed calls per scenario and layer: {args.queries} (embedded), "
          f"{args.osmem_queries} (osmem-server)\n", flush=True)
    results: List[Measured] = []
    for kind in stores:
        results += run_store(kind, sizes[kind], args, accts, end, target)
    summary(results)
    return 0


def run_store(kind, sizes, args, accts, end, target) -> List[Measured]:
    from layers import identity
    with local_stack(kind, run_pump=False, audit_delivery="spool") as stack:
        for uin in accts:
            identity.create_account("bench", owner_uin=uin, rate_limit=100000)
        keys = {accts[0]: {"OwnerUin": accts[0], **identity.create_key(accts[0])}}
        loaded, out = 0, []
        for size in sizes:
            loaded, stopped = grow(stack, kind, loaded, size, args, accts, end, target)
            if loaded and (not out or out[-1].size < loaded):
                queries = args.queries if kind == "embedded" else args.osmem_queries
                out.append(measure(stack, kind, keys, accts[0], end, loaded, queries))
                if stopped:
                    out[-1].notes.append(stopped)
            if stopped:
                print(f"  {stopped}\n", flush=True)
                break
        return out


def grow(stack, kind, loaded, size, args, accts, end, target) -> tuple:
    """Load the history up to `size` events: (events held, why it stopped short or "")."""
    if kind == "embedded":
        got = data.load_embedded(stack.search_dir, loaded, size, target=target, accts=accts, end_ms=end,
                                 days=DAYS, heavy_share=HEAVY_SHARE)
        print(f"embedded store: loaded {loaded:,} -> {size:,} events in {got['seconds']:.0f} s "
              f"({got['events'] / got['seconds']:,.0f} events/s) by a process that only writes; its resident "
              f"memory grew by {stats.grown(got['largest'], got['base'])} at most after a write; "
              f"{stats.disk_mb(stack.search_dir):,.0f} MB on disk", flush=True)
        return size, ""
    from layers.search.opensearch import OpenSearchStore
    loader, pid = OpenSearchStore(stack.opensearch.url, timeout=300), stack.opensearch.proc.pid
    started, first = time.perf_counter(), loaded
    while loaded < size:
        before = stats.memory(pid)["rss"]
        step = min(OSMEM_STEP, size - loaded)
        data.load(loader, data.history(loaded, loaded + step, target=target, days=DAYS, accts=accts,
                                      heavy_share=HEAVY_SHARE, end_ms=end))
        loaded += step
        rss = stats.memory(pid)["rss"]
        print(f"osmem-server: {loaded:,} events, resident {rss:,.0f} MB "
              f"({(loaded - first) / (time.perf_counter() - started):,.0f} events/s)", flush=True)
        if loaded < size and rss + (rss - before) * 1.2 > args.osmem_budget_mb:
            return loaded, (f"osmem-server stopped at {loaded:,} events: the next {OSMEM_STEP:,} would take its "
                            f"resident size past the {args.osmem_budget_mb:,.0f} MB budget")
    return loaded, ""


def known_ids(store, tenant: str, end: int) -> Known:
    from layers.audit.document import family, to_event
    from layers.search.query import Search
    events = []
    for d in range(DAYS):
        hits = store.search(Search(family(data.PREFIX), tenant, end - (d + 1) * DAY, end - d * DAY, size=10)).hits
        events += [to_event(h.source) for h in hits]
    return Known([e["EventId"] for e in events], [e["RequestId"] for e in events])


def drain_audit_queue() -> int:
    """Take the audit events of the benchmark's own calls off the queue, as the indexer would (its
    pace is the pipeline benchmark's). Left to pile up they would slow moto, which computes the
    queue's attributes for every message it takes, and with it the API."""
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


def measure(stack, kind, keys, tenant, end, size, n) -> Measured:
    from layers.search.default import default_store
    label = "embedded store" if kind == "embedded" else "osmem-server"
    location = stack.search_dir if kind == "embedded" else stack.opensearch.url
    known = known_ids(default_store(), tenant, end)
    result = Measured(label, size)
    seeds = random.Random(size)
    spawn = multiprocessing.get_context("spawn")
    print(f"\n{label}, {size:,} events, {n} calls each — ms; p99 goals: query layer {GOAL_QUERY_MS:.0f}, "
          f"API {GOAL_API_MS:.0f}\n"
          f"  {'scenario':34s} {'events':>6s} {'query p50':>9s} {'p99':>6s}   {'API p50':>7s} {'p99':>6s}", flush=True)
    with ProcessPoolExecutor(1, mp_context=spawn, initializer=_layer_open, initargs=(kind, location)) as layer, \
            ProcessPoolExecutor(1, mp_context=spawn, initializer=_api_open, initargs=(stack.endpoint, keys)) as api:
        # every day read once by each process, untimed: a process's first read of a day checks the
        # day's files against their checksums (a one-off, which the restart benchmark measures)
        api.submit(_api_run, RARE, tenant, end, known, 0, 0).result()
        layer.submit(_layer_run, RARE, tenant, end, known, 0, 0).result()
        for name in scenarios(None, tenant, end, random.Random(0), known):
            drain_audit_queue()
            seed = seeds.randrange(1 << 30)
            lat_api, _ = api.submit(_api_run, name, tenant, end, known, n, seed).result()
            lat_layer, events = layer.submit(_layer_run, name, tenant, end, known, n, seed).result()
            result.rows[name] = (events, lat_layer, lat_api)
            q99, a99 = stats.pct(lat_layer, 99), stats.pct(lat_api, 99)
            marks = ("", "") if name == FLOOR else (_mark(q99, GOAL_QUERY_MS), _mark(a99, GOAL_API_MS))
            print(f"  {name:34s} {events:6.1f} {stats.pct(lat_layer, 50):9.2f} {q99:6.2f}{marks[0]}"
                  f" {stats.pct(lat_api, 50):7.2f} {a99:6.2f}{marks[1]}", flush=True)
        base, after = layer.submit(_layer_memory).result()
    if kind == "embedded":
        result.memory_mb = after["rss"] - base["rss"]
        result.memory = f"the query process grew by {stats.grown(after, base)} once it opened the store and answered"
        result.disk_mb = stats.disk_mb(stack.search_dir)
    else:
        mem = stats.memory(stack.opensearch.proc.pid)
        result.memory_mb = mem["rss"]
        result.memory = f"osmem-server's process: {mem['rss']:,.0f} MB resident"
    stack_mem = stats.memory(os.getpid())
    print(f"  memory: {result.memory}; the stack's own process (app, API and its store): "
          f"{stack_mem['rss']:,.0f} MB resident", flush=True)
    if result.disk_mb:
        print(f"  disk: {result.disk_mb:,.0f} MB in {stack.search_dir}", flush=True)
    return result


def _mark(value: float, goal: float) -> str:
    return " " if value <= goal else "!"


def summary(results: List[Measured]) -> None:
    print("\nGoals (each figure measured above in this run; ! marks a p99 over its goal)")
    for r in results:
        rows = {k: v for k, v in r.rows.items() if k != FLOOR}
        floor = r.rows.get(FLOOR)
        slow_q = [k for k, (_, q, _) in rows.items() if stats.pct(q, 99) > GOAL_QUERY_MS]
        slow_a = [k for k, (_, _, a) in rows.items() if stats.pct(a, 99) > GOAL_API_MS]
        worst_q = max(stats.pct(q, 99) for _, q, _ in rows.values())
        worst_a = max(stats.pct(a, 99) for _, _, a in rows.values())
        print(f"  {r.store}, {r.size:,} events:")
        slow_q, slow_a = _names(slow_q, len(rows)), _names(slow_a, len(rows))
        print(f"    query layer p99 <= {GOAL_QUERY_MS:.0f} ms in every scenario: {'meets' if not slow_q else 'MISSES'}"
              f" (worst {worst_q:.1f} ms{'; over: ' + slow_q if slow_q else ''})")
        print(f"    API p99 <= {GOAL_API_MS:.0f} ms in every scenario: {'meets' if not slow_a else 'MISSES'}"
              f" (worst {worst_a:.1f} ms{'; over: ' + slow_a if slow_a else ''}; the floor, an empty "
              f"range: p50 {stats.pct(floor[2], 50):.1f} / p99 {stats.pct(floor[2], 99):.1f} ms)")
        print(f"    store memory {r.memory_mb:,.0f} MB ({r.memory}) — goal <= {GOAL_MEMORY_MB:.0f} MB at 1 M: "
              f"{stats.verdict(r.memory_mb, GOAL_MEMORY_MB)}")
        if r.disk_mb:
            print(f"    disk {r.disk_mb:,.0f} MB — goal <= {GOAL_DISK_MB:,.0f} MB at 1 M: "
                  f"{stats.verdict(r.disk_mb, GOAL_DISK_MB)}")
        for note in r.notes:
            print(f"    {note}")


def _names(names: List[str], of: int) -> str:
    return ", ".join(names) if len(names) <= 4 else f"{len(names)} of the {of} scenarios"


if __name__ == "__main__":
    sys.exit(main())
