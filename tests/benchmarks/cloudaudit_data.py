"""Synthetic audit history for the CloudAudit benchmarks: events shaped exactly like the
gateway's (layers/gateway/audit_event.py), spread over days and accounts, each account with a
few users and keys, write calls carrying tags, loaded straight into a store through the
indexer's own writer (layers/audit/writer.py)."""
import multiprocessing
import os
import queue
import random
import sys
import time
from pathlib import Path
from typing import Iterator, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from layers.audit.document import family  # noqa: E402
from layers.audit.writer import store_events  # noqa: E402
from layers.search.store import SearchStore  # noqa: E402
from layers.timeids import uuid7  # noqa: E402

import bench_stats as stats  # noqa: E402

DAY = 86_400_000
PREFIX = "traillog_server_log"
ACTIONS = [("cloudhsm", "DescribeVsms", True, "vsm"), ("cloudhsm", "ModifyVsmAttributes", False, "vsm"),
           ("cloudhsm", "DescribeRegions", True, ""), ("cloudhsm", "TerminateVsm", False, "vsm"),
           ("bhsaas", "DescribeUsers", True, "user"), ("bhsaas", "CreateUser", False, "user"),
           ("bhsaas", "ModifyAcl", False, "acl"), ("cloudaudit", "LookupEvents", True, "")]
USERS = 6                      # sub-users per account, each with its key
RESOURCES = 5000               # resource ids per type
ENVIRONMENTS = ("prod", "test", "dev")


def accounts(n: int) -> List[str]:
    return [str(700000000000 + i) for i in range(n)]


def user(account: str, u: int) -> str:
    return f"10{u:02d}{account[-8:]}"


def secret_id(account: str, u: int) -> str:
    return f"AKID{account}bench{u:04d}"


def source_ip(n: int) -> str:
    return f"10.{n % 200}.{n % 50}.{n % 250}"


def resource(n: int) -> tuple:
    """(type, id) of the resource event n touches ("", "" when its action names none)."""
    rtype = ACTIONS[n % len(ACTIONS)][3]
    return (rtype, f"{rtype}-{n % RESOURCES:08x}") if rtype else ("", "")


def event(rng: random.Random, account: str, t_ms: int, n: int) -> dict:
    service, action, read, _ = ACTIONS[n % len(ACTIONS)]
    rtype, rid = resource(n)
    fail = n % 23 == 0
    u = rng.randrange(USERS)
    params = {}
    if rid:
        params = {"ResourceId": rid, "Name": f"支付加密机-{n % 997}", "Limit": 20}
        if not read:
            params["Tags"] = [{"TagKey": "env", "TagValue": ENVIRONMENTS[n % len(ENVIRONMENTS)]}]
    return {
        "EventId": uuid7(t_ms).hex, "EventTime": t_ms, "EventName": action,
        "EventSource": f"{service}.tencentcloudapi.com", "Service": service, "ApiVersion": "2019-11-12",
        "EventRegion": "ap-guangzhou", "RequestId": str(uuid7(t_ms - rng.randrange(1000))),
        "AccountId": account, "AppId": "1250000000", "PrincipalId": user(account, u), "Username": user(account, u),
        "SecretId": secret_id(account, u), "SourceIPAddress": source_ip(n),
        "UserAgent": "TencentCloudSDK-Python/3.0", "HttpMethod": "POST", "SignatureMethod": "TC3-HMAC-SHA256",
        "ErrorCode": 1 if fail else 0, "ApiErrorCode": "ResourceNotFound" if fail else "",
        "ApiErrorMessage": f"The resource `{rid}` does not exist." if fail else "",
        "RequestParameters": params,
        "ResourceType": rtype, "ResourceName": rid,
        "Resources": [{"ResourceType": rtype, "ResourceName": rid}] if rid else [],
        "ReadOnly": read, "ActionType": "Read" if read else "Write",
        "SensitiveAction": action.startswith(("Terminate", "Modify")),
    }


def history(first: int, last: int, *, target: int, days: int, accts: List[str], heavy_share: float,
            end_ms: int, seed: int = 7) -> Iterator[dict]:
    """Events first..last-1 of a history of `target` events over `days` days before end_ms.
    Event n sits at a permuted position, so any prefix of the history already spans all days;
    accts[0] makes heavy_share of the events, the others the rest evenly."""
    rng = random.Random(seed * 1_000_003 + first)
    span = days * DAY
    for n in range(first, last):
        position = (n * 7919 + 13) % target            # 7919 is prime: a permutation of 0..target-1
        t = end_ms - span + position * span // target
        account = accts[0] if rng.random() < heavy_share else accts[1 + rng.randrange(len(accts) - 1)]
        yield event(rng, account, t, n)


def load(store: SearchStore, events: Iterator[dict], batch: int = 2000) -> int:
    """Store events in batches of `batch`, in time order as the indexer receives them."""
    store.install([family(PREFIX)])
    ordered = sorted(events, key=lambda e: e["EventTime"])
    for i in range(0, len(ordered), batch):
        _write(store, ordered[i:i + batch])
    return len(ordered)


def _write(store: SearchStore, events: List[dict]) -> None:
    for attempt in range(5):
        results = store_events(store, events, PREFIX)
        events = [e for e, r in zip(events, results) if not r.ok]
        if not events:
            return
        time.sleep(0.5 * (attempt + 1))
    raise RuntimeError(f"{len(events)} events could not be stored")


# ---- the embedded store, written by a process that holds nothing else ----
STEP = 50_000          # events made and sorted by time at once
CHUNK = 2_000          # events a write takes


def load_embedded(directory: str, first: int, last: int, *, target: int, accts: List[str], end_ms: int,
                  days: int = 30, heavy_share: float = 0.10) -> dict:
    """Events first..last-1 of the history into an embedded store at `directory`. One child
    process makes the events, another writes them (the indexer's writer: records, then the
    store), so the writer's resident memory is the store's plus a chunk of events. Returns the
    writer's figures: seconds, and its memory before the store was opened, at its largest
    after a write, and at the end."""
    ctx = multiprocessing.get_context("spawn")
    chunks, results = ctx.Queue(maxsize=8), ctx.Queue()
    maker = ctx.Process(target=_make, args=(chunks, first, last, target, accts, end_ms, days, heavy_share),
                        daemon=True)
    writer = ctx.Process(target=_write_all, args=(directory, chunks, results), daemon=True)
    writer.start()
    maker.start()
    try:
        while True:
            try:
                return results.get(timeout=1.0)
            except queue.Empty:
                if not writer.is_alive():
                    raise RuntimeError(f"the writer process exited with {writer.exitcode}") from None
    finally:
        maker.join(timeout=10)
        writer.join(timeout=60)


def _make(chunks, first, last, target, accts, end_ms, days, heavy_share) -> None:
    for n in range(first, last, STEP):
        step = sorted(history(n, min(last, n + STEP), target=target, days=days, accts=accts,
                              heavy_share=heavy_share, end_ms=end_ms), key=lambda e: e["EventTime"])
        for i in range(0, len(step), CHUNK):
            chunks.put(step[i:i + CHUNK])
    chunks.put(None)


def _write_all(directory, chunks, results) -> None:
    from layers.search.embedded import EmbeddedStore
    base = stats.memory(os.getpid())
    store = EmbeddedStore(directory)
    largest, written, started = base, 0, None
    while (chunk := chunks.get()) is not None:
        started = started or time.perf_counter()
        _write(store, chunk)
        written += len(chunk)
        now = stats.memory(os.getpid())
        largest = now if now["rss"] > largest["rss"] else largest
    store.close()                       # commits and waits for the merges
    took = time.perf_counter() - (started or time.perf_counter())
    results.put({"events": written, "seconds": took, "base": base, "largest": largest,
                 "end": stats.memory(os.getpid())})
