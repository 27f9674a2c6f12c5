"""Bastion asset sync: devices synced per second at 10 000 instances (goal: 10 000 in under 10 s).

    .venv/bin/python tests/benchmarks/bastion_asset_sync.py [--instances 10000] [--moto-instances 300]

Runs on its own local stack (moto + osmem-server). Two parts:

1. The real path on moto: --moto-instances EC2 instances tagged for one account, read with
   DescribeInstances and synced. moto renders each instance of a DescribeInstances answer in
   about 10 ms, so this part measures moto rather than the sync; it is reported separately.
2. The sync at --instances: the same EC2 answers (copies of the moto instances with distinct
   ids, names and addresses, 1 000 per page as EC2 pages them) go through the inventory reader and
   the sync into DynamoDB (moto): a first sync (all new), a second with nothing changed, and one
   with 5 % renamed, 5 % gone and 5 % new.
"""
import argparse
import copy
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

GOAL_SECONDS = 10.0


class PagedEc2:
    """Stands in for boto3's EC2 client: describe_instances pages from memory."""

    def __init__(self, instances: list, page_size: int = 1000) -> None:
        self.instances, self.page_size = instances, page_size

    def get_paginator(self, name: str):
        assert name == "describe_instances"
        return self

    def paginate(self, **_):
        for i in range(0, len(self.instances), self.page_size):
            yield {"Reservations": [{"Instances": self.instances[i:i + self.page_size]}]}


def clone(template: dict, n: int, owner_tag: str, owner: str, generation: str = "") -> dict:
    inst = copy.deepcopy(template)
    inst["InstanceId"] = f"i-{n:017x}"
    inst["PrivateIpAddress"] = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
    inst["PublicIpAddress"] = f"100.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
    inst["Tags"] = [{"Key": "Name", "Value": f"host-{n}{generation}"}, {"Key": owner_tag, "Value": owner},
                    {"Key": "env", "Value": "prod" if n % 2 else "test"}]
    return inst


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--moto-instances", type=int, default=300)
    args = parser.parse_args(argv)
    os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", f"/tmp/guardzone-bench-spool-{os.getpid()}")
    os.environ["GZ_BASTION_SYNC_REGIONS"] = "ap-guangzhou"      # one region: no cold moto backends measured
    from infra.local_stack import LocalStack
    stack = LocalStack(port=0, serve_http=False, run_pump=False, audit_delivery="spool").start()
    try:
        from layers import aws, identity
        from layers.bastion import asset_sync, config, inventory, store
        owner = identity.create_account("bench")["OwnerUin"]
        tag = config.owner_tag()
        regions = list(config.sync_regions())

        # 1. the real path on moto
        ec2 = aws.client("ec2", "ap-guangzhou")
        image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}])
        _, launch_s = timed(lambda: [ec2.run_instances(
            ImageId=image["Images"][0]["ImageId"], MinCount=n, MaxCount=n, TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": tag, "Value": owner}]}])
            for n in [100] * (args.moto_instances // 100) + [args.moto_instances % 100] if n])
        inv, read_s = timed(lambda: inventory.read(1, regions, owner=owner))
        token = asset_sync.acquire(owner, 1)
        moto_result, moto_sync_s = timed(lambda: asset_sync.run(owner, 1, token))
        assert moto_result.ok and moto_result.added == args.moto_instances, moto_result

        # 2. the sync at scale, EC2 answers from memory
        template = ec2.describe_instances(MaxResults=5)["Reservations"][0]["Instances"][0]
        bench_owner = identity.create_account("bench-scale")["OwnerUin"]
        n = args.instances
        fleet = [clone(template, i, tag, bench_owner) for i in range(n)]

        def sync(instances):
            source = PagedEc2(instances)
            token = asset_sync.acquire(bench_owner, 1)
            inv = inventory.read(1, regions, owner=bench_owner, client_for=lambda service, region: source)
            return asset_sync.run(bench_owner, 1, token, inv)

        first, first_s = timed(lambda: sync(fleet))
        second, second_s = timed(lambda: sync(fleet))
        k = n // 20
        churned = [clone(template, i, tag, bench_owner, "-renamed") if i < k else inst
                   for i, inst in enumerate(fleet)][: n - k] + [clone(template, n + i, tag, bench_owner) for i in range(k)]
        third, third_s = timed(lambda: sync(churned))
        devices, list_s = timed(lambda: store.load_all(bench_owner, "device"))
        assert first.added == n and second.unchanged == n, (first, second)
        assert (third.updated, third.removed, third.added) == (k, k, k), third
        assert len(devices) == n

        rate = lambda count, secs: f"{count / secs:,.0f}/s" if secs else "-"  # noqa: E731
        print(f"\nBastion asset sync benchmark (moto + osmem-server, {os.cpu_count()} CPUs)\n")
        print(f"  real path on moto, {args.moto_instances} instances")
        print(f"    launch (setup)                {launch_s:8.2f} s")
        print(f"    DescribeInstances read        {read_s:8.2f} s   {rate(len(inv.assets), read_s)}   (moto-bound)")
        print(f"    read + sync                   {moto_sync_s:8.2f} s   {rate(args.moto_instances, moto_sync_s)}")
        print(f"  sync at {n:,} instances (EC2 pages from memory, DynamoDB on moto)")
        print(f"    first sync, all new           {first_s:8.2f} s   {rate(n, first_s)}   goal: {n:,} in < {GOAL_SECONDS:.0f} s "
              f"-> {'met' if first_s < GOAL_SECONDS else 'NOT met'}")
        print(f"    second sync, nothing changed  {second_s:8.2f} s   {rate(n, second_s)}")
        print(f"    5% renamed/gone/new           {third_s:8.2f} s   {rate(n, third_s)}")
        print(f"    list all devices (one Query)  {list_s:8.2f} s")
        est = first_s + n / max(len(inv.assets) / read_s, 1e-9) if read_s else first_s
        print(f"  end to end on moto at {n:,} (read at the measured moto rate + first sync): ~{est:,.0f} s")
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
