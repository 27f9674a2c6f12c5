"""CloudAudit write path on the embedded store and on osmem-server, side by side in one run: API
call -> searchable latency (goal p99 <= 2 s; the seed takes 2-5 minutes) and ingest through the
queue path in events/s (goal >= 5,000 events/s).

    .venv/bin/python tests/benchmarks/cloudaudit_pipeline.py [--stores embedded,opensearch]
        [--calls 200] [--rate 10] [--events 50000] [--moto-events 50000] [--depth 20000] [--quick]

Latency: a local stack as `python -m infra.local_stack` runs it (spool delivery, the pump
polling the audit queue into the real indexer); an SDK call, then the time until a query for
its RequestId finds the event (polled every 10 ms at the query layer, so the polling adds no
audit events of its own).

Ingest: from the first message on the audit queue to the last event searchable (the store's
count), through the pump (infra/pump.py: batches gathered up to the handler's batch_size within
its batching window), the real audit_indexer (archive to S3 on moto + store write) and the
batch's deletion. Three ways, to tell the queue's cost from the rest:
  - through moto's SQS, the local stack's queue, with the local stack's pump threads: events
    sent as the gateway's shipper sends them (layers/gateway/audit_emitter.ship: up to 1 MiB of
    events packed into a message) while the pump drains them, at most --depth events waiting;
  - through a queue in this process standing in for SQS, which costs next to nothing (as SQS
    costs Lambda's pollers nothing on this machine): the same packed messages, all on it at the
    start, one and two pump threads;
  - the handler alone: Lambda-shaped batches of ten such messages handed to it directly.
The CPU seconds moto and this process spent per event are printed beside each.
"""
import argparse
import collections
import json
import logging
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_stats as stats  # noqa: E402
from bench_stack import local_stack  # noqa: E402
import cloudaudit_data as data  # noqa: E402

SEED_SECONDS = (120, 300)
GOAL_P99_S = 2.0
GOAL_EVENTS_S = 5000.0
LABELS = {"embedded": "embedded store", "opensearch": "osmem-server"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stores", default="embedded,opensearch")
    ap.add_argument("--calls", type=int, default=200, help="API calls whose events are timed")
    ap.add_argument("--rate", type=float, default=10.0, help="API calls per second")
    ap.add_argument("--events", type=int, default=50000, help="events per ingest run without moto's SQS")
    ap.add_argument("--moto-events", type=int, default=50000, help="events through moto's SQS")
    ap.add_argument("--depth", type=int, default=20000, help="events at most waiting on moto's queue")
    ap.add_argument("--quick", action="store_true", help="50 calls, 10,000 events a run")
    args = ap.parse_args()
    if args.quick:
        args.calls, args.events, args.moto_events = 50, 10000, 10000
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", f"/tmp/guardzone-bench-spool-{os.getpid()}")
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)   # the counter shares the store's client
    print(f"CloudAudit write path — {stats.machine()}\n", flush=True)
    verdicts = []
    for kind in [s.strip() for s in args.stores.split(",")]:
        with local_stack(kind, run_pump=True, audit_delivery="spool") as stack:
            verdicts.append(latency(stack, kind, args))
        with local_stack(kind, run_pump=False, audit_delivery="spool") as stack:
            verdicts += ingest(stack, kind, args)
    print("\nGoals (each figure measured above in this run)")
    for line in verdicts:
        print(f"  {line}")
    return 0


def latency(stack, kind, args) -> str:
    from helpers import common_client
    from layers import identity
    from layers.audit.query import Query, Scanner
    from layers.search.default import default_store

    acct = identity.create_account("bench", rate_limit=100000)
    acct = {**acct, **identity.create_key(acct["OwnerUin"])}
    client = common_client(stack.endpoint, acct, "cloudhsm", "2019-11-12")
    store = default_store()
    client.call_json("DescribeRegions", {})          # warm the path (the day's first partition)
    time.sleep(2)
    results, lock = [], threading.Lock()

    def watch(request_id: str, sent: float) -> None:
        now = int(time.time() * 1000)
        query = Query.of(acct["OwnerUin"], now - 60_000, now + 600_000, [("RequestId", request_id)])
        while True:
            if Scanner(store).scan(query, 1):
                with lock:
                    results.append(time.perf_counter() - sent)
                return
            if time.perf_counter() - sent > 60:
                with lock:
                    results.append(float("inf"))
                return
            time.sleep(0.01)

    watchers = []
    print(f"{LABELS[kind]}: API call -> searchable, {args.calls} calls at {args.rate:.0f}/s through the local stack",
          flush=True)
    for _ in range(args.calls):
        sent = time.perf_counter()
        request_id = client.call_json("DescribeRegions", {})["Response"]["RequestId"]
        t = threading.Thread(target=watch, args=(request_id, sent), daemon=True)
        t.start()
        watchers.append(t)
        time.sleep(max(0.0, 1 / args.rate - (time.perf_counter() - sent)))
    for t in watchers:
        t.join(timeout=90)
    found = [r for r in results if r != float("inf")]
    p99 = stats.pct(found, 99) if len(found) == args.calls else float("inf")
    print(f"  searchable after: p50 {stats.pct(found, 50):.2f} s, p99 {stats.pct(found, 99):.2f} s, "
          f"max {max(found, default=float('nan')):.2f} s ({len(found)}/{args.calls} found)\n", flush=True)
    return (f"{LABELS[kind]}: call -> searchable p99 {p99:.2f} s, goal <= {GOAL_P99_S:.0f} s "
            f"(seed {SEED_SECONDS[0] // 60}-{SEED_SECONDS[1] // 60} min): {stats.verdict(p99, GOAL_P99_S)}")


# ---- ingest ----
class MemoryQueue:
    """An SQS stand-in in this process for one queue: what the pump calls, at next to no cost."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.waiting: collections.deque = collections.deque()
        self.changed = threading.Condition()

    def put(self, bodies) -> None:
        with self.changed:
            self.waiting.extend({"MessageId": uuid.uuid4().hex, "Body": b} for b in bodies)
            self.changed.notify_all()

    def get_queue_url(self, QueueName):
        return {"QueueUrl": f"memory://{QueueName}"}

    def get_queue_attributes(self, QueueUrl, AttributeNames):
        return {"Attributes": {"QueueArn": f"arn:aws:sqs:us-east-1:123456789012:{self.name}"}}

    def receive_message(self, QueueUrl, MaxNumberOfMessages=1, WaitTimeSeconds=0, **_):
        with self.changed:
            if not self.waiting and WaitTimeSeconds:
                self.changed.wait(WaitTimeSeconds)
            out = []
            while self.waiting and len(out) < MaxNumberOfMessages:
                out.append({**self.waiting.popleft(), "ReceiptHandle": uuid.uuid4().hex,
                            "Attributes": {"ApproximateReceiveCount": "1"}})
        return {"Messages": out}

    def delete_message_batch(self, QueueUrl, Entries):
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


class Counter:
    """The store's count of audit events, read every 50 ms in a thread."""

    def __init__(self, store) -> None:
        from layers.audit.document import family
        self.store, self.family = store, family(data.PREFIX)
        self.value = self.read()
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def read(self) -> int:
        return sum(self.store.count(self.family, d) for d in self.store.days(self.family))

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.value = self.read()

    def wait_for(self, n: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.value < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.value >= n

    def stop(self) -> None:
        self._stop.set()


def ingest(stack, kind, args) -> list:
    from infra.pump import LOCAL_POLLERS, LambdaContext, Pump, sqs_event
    from layers.gateway.audit_message import pack
    from layers.search.default import default_store

    source = next(s for s in stack.app.event_sources if s.name == "audit_indexer")
    app = SimpleNamespace(event_sources=[source], handler_map={source.name: stack.app.handler_map[source.name]})
    counter = Counter(default_store())
    accts, first = data.accounts(50), 0
    print(f"{LABELS[kind]}: ingest — the audit_indexer takes batches of up to {source.batch_size:,} gathered within "
          f"{source.maximum_batching_window_in_seconds} s; goal >= {GOAL_EVENTS_S:,.0f} events/s", flush=True)
    lines = []

    def bodies(n):
        nonlocal first
        events = data.history(first, first + n, target=10_000_000, days=1, accts=accts, heavy_share=0.1,
                              end_ms=int(time.time() * 1000))
        first += n
        return [json.dumps(e, ensure_ascii=False) for e in events]

    def run(label, n, feed, pollers=1, sqs=None):
        batch = bodies(n)
        base, moto0, own0 = counter.value, stats.cpu_seconds(stack.moto.proc.pid), stats.cpu_seconds(os.getpid())
        pump = Pump(app, pollers=pollers, sqs=sqs).start() if feed else None
        started = time.perf_counter()
        try:
            (feed or direct)(batch, base)
            done = counter.wait_for(base + n, timeout=600)
        finally:
            if pump:
                pump.stop()
        took = time.perf_counter() - started
        moto_us = (stats.cpu_seconds(stack.moto.proc.pid) - moto0) / n * 1e6
        own_us = (stats.cpu_seconds(os.getpid()) - own0) / n * 1e6
        rate = n / took if done else 0.0
        print(f"  {label:44s} {n:>7,} events in {took:6.1f} s = {rate:7,.0f} events/s   CPU per event: "
              f"moto {moto_us:5,.0f} µs, this process {own_us:5,.0f} µs"
              f"{'' if done else '  (not all searchable within 600 s)'}", flush=True)
        return rate

    def through_moto(batch, base):
        from layers.gateway.audit_emitter import ship
        # As the gateway's shipper sends what its spool holds: a read (1 MiB, ~1,000 events) at
        # a time, several events a message.
        for i in range(0, len(batch), 1000):
            while i - (counter.value - base) > args.depth:
                time.sleep(0.005)
            ship(batch[i:i + 1000])

    memory = MemoryQueue(source.queue)

    def packed(batch):
        # as the shipper packs a spool read (1 MiB, ~1,000 events) into a message
        return [pack(batch[i:i + 1000]) for i in range(0, len(batch), 1000)]

    def direct(batch, base):
        arn = f"arn:aws:sqs:us-east-1:123456789012:{source.queue}"
        handler = app.handler_map[source.name]
        messages = packed(batch)
        for i in range(0, len(messages), 10):
            records = [{"MessageId": f"m{i + j}", "ReceiptHandle": f"h{i + j}", "Body": b}
                       for j, b in enumerate(messages[i:i + 10])]
            handler(sqs_event(arn, records), LambdaContext(source.name))

    try:
        moto_rate = run(f"through moto's SQS, {LOCAL_POLLERS[source.name]} pump threads (the local stack)",
                        args.moto_events, through_moto, pollers=LOCAL_POLLERS)
        memory_rates = [run(f"through an in-process queue, {p} pump thread{'s' if p > 1 else ''}", args.events,
                            lambda batch, base: memory.put(packed(batch)), pollers=p, sqs=memory) for p in (1, 2)]
        direct_rate = run("the handler alone, batches of ~10,000 (10 messages)", args.events, None)
    finally:
        counter.stop()
    mem = stats.memory(os.getpid())
    print(f"  the stack's process (app, pump and store) resident: {mem['rss']:,.0f} MB, at most {mem['hwm']:,.0f} MB\n",
          flush=True)
    best = max(memory_rates)
    lines.append(f"{LABELS[kind]}: ingest through the queue path on moto's SQS {moto_rate:,.0f} events/s, goal >= "
                 f"{GOAL_EVENTS_S:,.0f}: {stats.verdict(moto_rate, GOAL_EVENTS_S, at_least=True)}")
    lines.append(f"{LABELS[kind]}: the same path with the queue's cost left out {best:,.0f} events/s "
                 f"(handler alone {direct_rate:,.0f}): {stats.verdict(best, GOAL_EVENTS_S, at_least=True)}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
