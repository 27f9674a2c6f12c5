"""Concurrency: CreateResource calls racing for the last quota slot or the last address never both
win, through the HTTP endpoint and at the store's commit itself."""
import threading

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from hsm_helpers import ZONE_A, ZONE_B, Common, Typed, create_vsm, make_network, other_account


def race(calls):
    """Run the calls at once; returns each one's result or error code."""
    results, barrier = [None] * len(calls), threading.Barrier(len(calls))

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except TencentCloudSDKException as exc:
            results[i] = exc.code

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_racing_for_the_last_quota_slot(stack, ec2):
    acct = other_account(rate_limit=1000)
    common, typed = Common(stack.endpoint, acct), Typed(stack.endpoint, acct)
    net = make_network(ec2, acct["OwnerUin"])
    create_vsm(common, net, n=4, subnet=net.subnet_b, zone=ZONE_B)
    results = race([lambda: create_vsm(common, net) for _ in range(4)])
    won = [r for r in results if isinstance(r, dict)]
    assert len(won) == 1 and sorted(r for r in results if isinstance(r, str)) == ["LimitExceeded"] * 3
    assert typed.call("DescribeVsms", {"Offset": 0, "Limit": 10})["TotalCount"] == 5


def test_many_creates_at_once_fill_the_quota_with_distinct_addresses(stack, ec2):
    acct = other_account(rate_limit=1000)
    common, typed = Common(stack.endpoint, acct), Typed(stack.endpoint, acct)
    net = make_network(ec2, acct["OwnerUin"])
    results = race([lambda: create_vsm(common, net) for _ in range(8)])
    assert sum(isinstance(r, dict) for r in results) == 5
    assert sorted(r for r in results if isinstance(r, str)) == ["LimitExceeded"] * 3
    vsms = typed.call("DescribeVsms", {"Offset": 0, "Limit": 10})["VsmList"]
    assert len({v["Vip"] for v in vsms}) == 5


def test_two_accounts_racing_for_the_last_address(stack, ec2):
    first, second = other_account(rate_limit=1000), other_account(rate_limit=1000)
    # A shared (untagged) VPC both accounts may use, with one free address left.
    vpc = ec2.create_vpc(CidrBlock="10.250.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.250.1.0/28", AvailabilityZone="us-east-1a")["Subnet"][
        "SubnetId"]
    for n in range(4, 14):
        ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress=f"10.250.1.{n}")
    params = {"PayMode": 1, "GoodsNum": 1, "VsmType": 33, "VpcId": vpc, "SubnetId": subnet, "ZoneId": ZONE_A}
    clients = [Common(stack.endpoint, a) for a in (first, second, first, second)]
    results = race([lambda c=c: c.call("CreateResource", params) for c in clients])
    won = [r for r in results if isinstance(r, dict)]
    assert len(won) == 1 and sorted(r for r in results if isinstance(r, str)) == ["ResourceInsufficient"] * 3
    held = [Typed(stack.endpoint, a).call("DescribeHSMBySubnetId", {"SubnetId": subnet})["TotalCount"]
            for a in (first, second)]
    assert sorted(held) == [0, 1]


def test_a_commit_from_a_stale_read_loses(stack, account, ec2):
    """Two requests that both read the subnet before either committed: the second commit fails."""
    from layers.stores import vsm as store

    def vsm(resource_id, owner, vip, subnet="subnet-race"):
        return {"ResourceId": resource_id, "ResourceName": resource_id, "OwnerUin": owner, "CreateUin": owner,
                "Region": "ap-guangzhou", "ZoneId": ZONE_A, "VpcId": "vpc-race", "SubnetId": subnet, "Vip": vip,
                "VsmType": 33, "Manufacturer": "TASS", "Model": "TASS GHSM", "PayMode": 0, "RenewFlag": 0,
                "CreatedAt": 1, "SgIds": [], "Tags": [], "BillId": "b", "DealName": "d"}

    other = other_account()
    subnet = f"subnet-race-{account['OwnerUin']}"
    store.create(account["OwnerUin"], [vsm("hsm-racea001", account["OwnerUin"], "10.9.9.4", subnet)], 5)
    with pytest.raises(store.AddressTaken):
        store.create(other["OwnerUin"], [vsm("hsm-raceb001", other["OwnerUin"], "10.9.9.4", subnet)], 5)
    assert store.get_vsm(other["OwnerUin"], "hsm-raceb001") is None
    assert store.quota(other["OwnerUin"]) == (0, 5)                      # nothing counted
    # Quota read as 4 used by two requests: the second commit fails on the counter.
    owner = account["OwnerUin"]
    store.create(owner, [vsm(f"hsm-racec00{i}", owner, f"10.9.9.{5 + i}", subnet) for i in range(3)], 5)
    assert store.quota(owner) == (4, 5)
    store.create(owner, [vsm("hsm-raced001", owner, "10.9.9.10", subnet)], 5)
    with pytest.raises(store.QuotaExceeded):
        store.create(owner, [vsm("hsm-racee001", owner, "10.9.9.11", subnet)], 5)
    assert store.leased_addresses(subnet) == {f"10.9.9.{n}" for n in (4, 5, 6, 7, 10)}
    # A move from a stale read loses to the move that committed first.
    before = store.get_vsm(owner, "hsm-raced001")
    store.update(owner, before, {"Vip": "10.9.9.12"})
    with pytest.raises(store.VsmChanged):
        store.update(owner, before, {"Vip": "10.9.9.13"})
    assert store.leased_addresses(subnet) == {f"10.9.9.{n}" for n in (4, 5, 6, 7, 12)}
    # Raising the account's limit lets a sixth in.
    store.set_quota_limit(owner, 6)
    with pytest.raises(store.QuotaExceeded):                             # read with the old limit
        store.create(owner, [vsm("hsm-racee001", owner, "10.9.9.11", subnet)], 5)
    store.create(owner, [vsm("hsm-racee001", owner, "10.9.9.11", subnet)], 6)
    assert store.quota(owner) == (6, 6)
