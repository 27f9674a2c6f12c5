"""CloudAudit track delivery, one track: API call -> object in the track's bucket latency (goal p99
<= 60 s; CloudTrail and the seed deliver within about 5 minutes) and delivered events/s.

    .venv/bin/python tests/benchmarks/cloudaudit_track_delivery.py [--calls 100] [--rate 5] [--events 20000] [--quick]

Latency: a local stack as `python -m infra.local_stack` runs it (spool delivery, the pump polling the
audit queue into the indexer and the track delivery queue into audit_track_delivery); an SDK call,
then the time until a file in the bucket holds its RequestId (the bucket listed every 100 ms).

Throughput: --events events of the track's account put on the track delivery queue as the indexer
forwards them (sources of 50 lines, messages of up to 200 KiB), all waiting at the start; from then
until the track's delivered files (the DONE entries) hold them all, through moto's SQS, DynamoDB and S3.
"""
import argparse
import gzip
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_stats as stats  # noqa: E402
from bench_stack import local_stack  # noqa: E402
import cloudaudit_data as data  # noqa: E402

GOAL_P99_S = 60.0
ANCHOR_S = 300


def _track(acct: dict, name: str):
    from layers import aws
    from layers.audit import track_delivery, tracks
    bucket = f"{name}-{acct['AppId']}"
    aws.client("s3", aws_region_name="us-east-1").create_bucket(Bucket=bucket)
    track = tracks.create(tracks.Track(account=acct["OwnerUin"], track_id=0, name=name, storage={
        "StorageType": "cos", "StorageRegion": "ap-guangzhou", "StorageName": name, "StoragePrefix": "bench",
        "StorageAppId": acct["AppId"], "Compress": 1}))
    track_delivery.forget_tracks()
    return track, bucket


def latency(stack, args) -> str:
    from helpers import common_client
    from layers import aws, identity

    acct = identity.create_account("bench", rate_limit=100000)
    acct = {**acct, **identity.create_key(acct["OwnerUin"])}
    _, bucket = _track(acct, "latency")
    client = common_client(stack.endpoint, acct, "cloudhsm", "2019-11-12")
    s3 = aws.client("s3", aws_region_name="us-east-1")
    sent, seen, lock, done = {}, {}, threading.Lock(), threading.Event()

    def watch() -> None:
        read = set()
        while not done.is_set():
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for o in page.get("Contents", []):
                    if o["Key"] in read:
                        continue
                    read.add(o["Key"])
                    body = gzip.decompress(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read())
                    now = time.perf_counter()
                    with lock:
                        for r in json.loads(body)["Records"]:
                            seen.setdefault(r["requestID"], now)
            done.wait(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    print(f"API call -> object in the bucket, {args.calls} calls at {args.rate:.0f}/s through the local stack",
          flush=True)
    for _ in range(args.calls):
        t = time.perf_counter()
        sent[client.call_json("DescribeRegions", {})["Response"]["RequestId"]] = t
        time.sleep(max(0.0, 1 / args.rate - (time.perf_counter() - t)))
    deadline = time.perf_counter() + ANCHOR_S
    while time.perf_counter() < deadline:
        with lock:
            if all(r in seen for r in sent):
                break
        time.sleep(0.2)
    done.set()
    watcher.join(timeout=10)
    found = [seen[r] - t for r, t in sent.items() if r in seen]
    p99 = stats.pct(found, 99) if len(found) == len(sent) else float("inf")
    print(f"  in the bucket after: p50 {stats.pct(found, 50):.2f} s, p99 {stats.pct(found, 99):.2f} s, "
          f"max {max(found, default=float('nan')):.2f} s ({len(found)}/{len(sent)} found)\n", flush=True)
    return (f"call -> object p99 {p99:.2f} s, goal <= {GOAL_P99_S:.0f} s (anchor ~{ANCHOR_S // 60} min): "
            f"{stats.verdict(p99, GOAL_P99_S)}")


def throughput(stack, args) -> str:
    from layers import aws, identity
    from layers.audit import track_delivery
    from layers.audit.config import audit_settings

    acct = identity.create_account("bench-tp")
    track, _ = _track(acct, "throughput")
    rng, t0 = random.Random(7), int(time.time() * 1000)
    lines = [json.dumps(data.event(rng, acct["OwnerUin"], t0 + n, n), ensure_ascii=False) for n in range(args.events)]
    sources = [{"Id": f"bench{i:08d}.0", "Lines": lines[i:i + track_delivery.LINES_PER_PART]}
               for i in range(0, len(lines), track_delivery.LINES_PER_PART)]
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=audit_settings().track_delivery_queue)["QueueUrl"]
    bodies = track_delivery._bodies(sources)
    print(f"delivery of {args.events:,} events for one track ({len(bodies)} queue messages waiting at the start)",
          flush=True)
    start = time.perf_counter()
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    delivered, deadline = 0, start + 600
    while time.perf_counter() < deadline:
        delivered = sum(int(d["Events"]) for d in track_delivery.delivered(track))
        if delivered >= args.events:
            break
        time.sleep(0.25)
    elapsed = time.perf_counter() - start
    rate = delivered / elapsed
    files = len(track_delivery.delivered(track))
    print(f"  {delivered:,} events in {files} files in {elapsed:.1f} s: {rate:,.0f} events/s\n", flush=True)
    return f"delivered events/s for one track: {rate:,.0f} (no goal)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--rate", type=float, default=5.0)
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--quick", action="store_true", help="20 calls, 2,000 events")
    args = ap.parse_args()
    if args.quick:
        args.calls, args.events = 20, 2000
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", f"/tmp/guardzone-bench-spool-{os.getpid()}")
    print(f"CloudAudit track delivery — {stats.machine()}\n", flush=True)
    with local_stack("embedded", run_pump=True, audit_delivery="spool") as stack:
        verdicts = [latency(stack, args), throughput(stack, args)]
    print("Goals (each figure measured above in this run)")
    for line in verdicts:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
