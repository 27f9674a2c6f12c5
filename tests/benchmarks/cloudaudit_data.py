"""Synthetic audit history for the CloudAudit benchmarks: events shaped exactly like the
gateway's (layers/gateway/audit_event.py), spread over days and accounts, loaded straight into
a store through the indexer's own writer (events and their value-days digest)."""
import random
import time
from typing import Iterator, List

from layers.audit.document import family
from layers.search.store import SearchStore
from layers.audit.writer import store_events
from layers.timeids import uuid7

DAY = 86_400_000
ACTIONS = [("cloudhsm", "DescribeVsms", True, "vsm"), ("cloudhsm", "ModifyVsmAttributes", False, "vsm"),
           ("cloudhsm", "DescribeRegions", True, ""), ("cloudhsm", "TerminateVsm", False, "vsm"),
           ("bhsaas", "DescribeUsers", True, "user"), ("bhsaas", "CreateUser", False, "user"),
           ("bhsaas", "ModifyAcl", False, "acl"), ("cloudaudit", "LookupEvents", True, "")]


def accounts(n: int) -> List[str]:
    return [str(700000000000 + i) for i in range(n)]


def event(rng: random.Random, account: str, t_ms: int, n: int) -> dict:
    service, action, read, rtype = ACTIONS[n % len(ACTIONS)]
    rid = f"{rtype}-{n % 5000:08x}" if rtype else ""
    fail = n % 23 == 0
    return {
        "EventId": uuid7(t_ms).hex, "EventTime": t_ms, "EventName": action,
        "EventSource": f"{service}.tencentcloudapi.com", "Service": service, "ApiVersion": "2019-11-12",
        "EventRegion": "ap-guangzhou", "RequestId": str(uuid7(t_ms - rng.randrange(1000))),
        "AccountId": account, "AppId": "1250000000", "PrincipalId": account, "Username": account,
        "SecretId": f"AKID{account}benchkey0001", "SourceIPAddress": f"10.{n % 200}.{n % 50}.{n % 250}",
        "UserAgent": "TencentCloudSDK-Python/3.0", "HttpMethod": "POST", "SignatureMethod": "TC3-HMAC-SHA256",
        "ErrorCode": 1 if fail else 0, "ApiErrorCode": "ResourceNotFound" if fail else "",
        "ApiErrorMessage": f"The resource `{rid}` does not exist." if fail else "",
        "RequestParameters": {"ResourceId": rid, "Name": f"支付加密机-{n % 997}", "Limit": 20} if rid else {},
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
    store.install([family("traillog_server_log")])
    n, chunk = 0, []
    for e in sorted(events, key=lambda e: e["EventTime"]):
        chunk.append(e)
        if len(chunk) >= batch:
            n += _write(store, chunk)
            chunk = []
    if chunk:
        n += _write(store, chunk)
    return n


def _write(store: SearchStore, events: List[dict]) -> int:
    total = len(events)
    for attempt in range(5):
        results = store_events(store, events, "traillog_server_log")
        events = [e for e, r in zip(events, results) if not r.ok]
        if not events:
            return total
        time.sleep(0.5 * (attempt + 1))
    raise RuntimeError(f"{len(events)} events could not be stored")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0
