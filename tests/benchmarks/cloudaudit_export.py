"""Export of 1 M events: the worker's memory stays bounded (one page of events plus one upload
part) whatever the number of events; prints its peak memory and speed.

    .venv/bin/python tests/benchmarks/cloudaudit_export.py [--events 1000000] [--format JSON|CSV] [--moto] [--paged] [--quick]

The events are one account's 30 days in an embedded store (the local stack's default), loaded
first by a process of its own; the export pages through it in this process. With --paged they
come instead from a synthetic store that serves pages on demand through the store's interface
(the export's own cost, no store). The upload goes to a sink that counts the multipart parts, or
with --moto to a moto server (which keeps the whole object in memory).
"""
import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_stats as stats  # noqa: E402
import cloudaudit_data as data  # noqa: E402


class PagedStore:
    """`total` events of one account, served page by page through the store interface."""

    def __init__(self, account: str, total: int, t0: int) -> None:
        import random
        self.total, self.t0 = total, t0
        self.template = data.event(random.Random(1), account, t0, 1)

    def search(self, search):
        import json
        from layers.search.query import Hit, Result
        top = self.total if search.after is None else int(search.after[1][2:])
        return Result([Hit(self.t0, f"e-{n:09d}", json.dumps({**self.template, "EventId": f"e-{n:09d}"}))
                       for n in range(top - 1, max(-1, top - 1 - search.size), -1)])


class CountingS3:
    def __init__(self) -> None:
        self.parts, self.bytes = 0, 0

    def create_multipart_upload(self, **kw):
        return {"UploadId": "u"}

    def upload_part(self, Body, **kw):
        self.parts += 1
        self.bytes += len(Body)
        return {"ETag": f'"{self.parts}"'}

    def complete_multipart_upload(self, **kw):
        return {}

    def put_object(self, Body, **kw):
        self.bytes += len(Body)

    def abort_multipart_upload(self, **kw):
        return {}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--format", default="JSON", choices=["JSON", "CSV"])
    ap.add_argument("--moto", action="store_true", help="upload to a moto server instead of a counting sink")
    ap.add_argument("--paged", action="store_true", help="events from a synthetic paged store, not a real one")
    ap.add_argument("--quick", action="store_true", help="20,000 events")
    args = ap.parse_args()
    if args.quick:
        args.events = 20_000
    from infra import services
    moto = services.moto_server().start()
    try:
        services.apply_environment(services.aws_environment(moto.url))
        from layers import aws, config
        config.reload_settings()
        aws.reset_clients()
        from infra.resources import create_all
        create_all()
        return run(args, aws)
    finally:
        moto.stop()


def run(args, aws) -> int:
    from layers.audit import exports
    account = data.accounts(1)[0]
    bucket = "export-bench-1250000000"
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=bucket)
    sink = None if args.moto else CountingS3()
    if sink is not None:
        real_client = aws.client
        aws.client = lambda service, *a, **k: sink if service == "s3" else real_client(service, *a, **k)
    folder = None
    if args.paged:
        store = PagedStore(account, args.events, int(time.time() * 1000) - 1000)
        start, end = store.t0 - 10, store.t0 + 10
    else:
        folder = tempfile.mkdtemp(prefix="guardzone-export-bench-")
        end = int(time.time() * 1000)
        start = end - 30 * data.DAY
        got = data.load_embedded(folder, 0, args.events, target=args.events, accts=data.accounts(2), end_ms=end,
                                 heavy_share=1.0)
        print(f"embedded store: {args.events:,} events of one account loaded in {got['seconds']:.0f} s, "
              f"{stats.disk_mb(folder):,.0f} MB on disk", flush=True)
        from layers.search.embedded import EmbeddedStore
        store = EmbeddedStore(folder)
    try:
        return export(args, exports, store, account, bucket, start, end, sink)
    finally:
        if folder:
            store.close()
            shutil.rmtree(folder, ignore_errors=True)


def export(args, exports, store, account, bucket, start, end, sink) -> int:
    task_id = exports.create_task(exports.NewTask(
        creator_account=account, owner_uin=account, sub_account_uin=account, start_ms=start,
        end_ms=end, attributes=[], lookup_type="keyValue", content_value="", cos_bucket=bucket,
        cos_region="ap-guangzhou", aws_region="us-east-1", storage_type="cos", file_type=args.format,
        language="zh"))
    memory_before = stats.memory(os.getpid())
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    t = time.perf_counter()
    status = exports.run(account, task_id, store)
    elapsed = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    task = exports.get_task(account, task_id)
    size = task["FileSize"]
    source = "a synthetic paged store" if args.paged else "the embedded store"
    print(f"Export of {args.events:,} events as {args.format} from {source}: {status}")
    print(f"  file {size / 1e6:,.0f} MB in {elapsed:.0f} s = {args.events / elapsed:,.0f} events/s "
          f"(with tracemalloc on, which slows Python)")
    if sink is not None:
        print(f"  {sink.parts} multipart parts of {os.environ.get('GZ_AUDIT_EXPORT_PART_BYTES', 8 * 1024 * 1024)} bytes")
    print(f"  peak Python memory of the export: {peak / 1e6:,.1f} MB "
          f"({peak / max(size, 1) * 100:.2f} % of the file); process max RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB (was {rss_before:,.0f} MB before); "
          f"resident memory grew by {stats.grown(stats.memory(os.getpid()), memory_before)} (the store's included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
