"""What the API handler's heaviest work costs on one core here, and what that becomes on Lambda at
each memory size (Lambda gives a function CPU in proportion to its memory: one full vCPU at
1,769 MB, https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).

    .venv/bin/python tests/benchmarks/lambda_sizing.py [--events 5000] [--calls 30]

Measured in CPU time of this process pinned to one core (best of three windows), so other load on
the machine skews it less:
- an SM2 signature (CloudHSM/KMS SignByAsymmetricKey with an SM2 key: SM3(Z||M) and the signature);
- an RSA-2048 private-key operation (PKCS#1 v1.5 SHA-256 sign; decrypt costs the same);
- a LookupEvents call through the gateway in-process (TC3 signature check, identity and rate limit
  in DynamoDB on moto, parameter checks, the query, the response) over `--events` events of the
  caller in the embedded store. Deployed, OpenSearch does the search and the function waits for it,
  so this over-states the function's CPU per call; the moto round trips are not counted as CPU
  of this process either way.
Goal (docs/deploy.md): the chosen API handler size keeps one SM2 sign and one RSA-2048 private
operation under 10 ms and a LookupEvents under 100 ms of function time.
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FULL_VCPU_MB = 1769
SIZES = (128, 512, 1024, 1769)
API_MB = 1024          # .chalice/config.json: the API handler's size
GOALS_MS = {"SM2 sign": 10.0, "RSA-2048 private": 10.0, "LookupEvents": 100.0}


def cpu_per_call(fn, n: int) -> float:
    """Seconds of CPU per call, best of three windows of n calls."""
    fn()
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - t0) / n)
    return best


def crypto_costs() -> dict:
    from layers.crypto import rsa_keys, sm2
    msg = os.urandom(32)
    sm2_key = sm2.SM2PrivateKey.generate()
    rsa_key = rsa_keys.generate_private_key(2048)
    return {"SM2 sign": cpu_per_call(lambda: sm2_key.sign(msg), 200),
            "RSA-2048 private": cpu_per_call(lambda: rsa_keys.sign(rsa_key, msg, "PKCS1v15"), 100)}


def lookup_cost(events: int, calls: int) -> float:
    from tests.benchmarks.bench_stack import local_stack
    from tests.benchmarks import cloudaudit_data as data
    from tests.helpers import tc3_request
    from layers.gateway.http import gateway
    from layers.search.default import default_store
    with local_stack("embedded", serve_http=False) as stack:
        demo = stack.seed_demo()
        now = int(time.time() * 1000)
        accts = [demo["OwnerUin"], "100000000001"]
        data.load(default_store(), data.history(0, events, target=events, days=7, accts=accts,
                                                heavy_share=1.0, end_ms=now))
        params = {"StartTime": now // 1000 - 7 * 86400, "EndTime": now // 1000, "MaxResults": 50}

        def call():
            status, _, body = gateway().handle(tc3_request(demo, "LookupEvents", params, service="cloudaudit",
                                                           version="2019-03-04"))
            if status != 200 or b'"Events"' not in body:
                raise RuntimeError(body[:300])
        return cpu_per_call(call, calls)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--calls", type=int, default=30)
    args = ap.parse_args()
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", f"/tmp/guardzone-bench-spool-{os.getpid()}")
    os.environ["GZ_RATE_LIMIT"] = "1000000"     # the calls are back to back: measure them, not the limit
    costs = crypto_costs()
    costs["LookupEvents"] = lookup_cost(args.events, args.calls)
    print("CPU per operation on one core here, and on Lambda at each memory size "
          f"(share = MB / {FULL_VCPU_MB}; below {FULL_VCPU_MB} MB a function gets that fraction of one vCPU)")
    print(f"{'operation':<18}{'here':>10}" + "".join(f"{m:>9} MB" for m in SIZES))
    for name, seconds in costs.items():
        cells = "".join(f"{seconds * 1000 * FULL_VCPU_MB / m:>9.1f} ms" for m in SIZES)
        print(f"{name:<18}{seconds * 1000:>8.2f} ms{cells}")
    print(f"\nGoals at the API handler's {API_MB} MB")
    for name, goal in GOALS_MS.items():
        at = costs[name] * 1000 * FULL_VCPU_MB / API_MB
        print(f"  {name}: {at:.1f} ms (goal <= {goal:.0f} ms): {'meets' if at <= goal else 'MISSES'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
