"""Invariants when another request writes between a transaction's reads and its commit.

The interleaving is made deterministic: inside the transaction function, after its reads, a
competing request goes through the API. (moto's server does not serialise concurrent
TransactWriteItems calls the way DynamoDB does, so racing threads against it would test moto.)"""
import pytest

from layers.bastion import cascade, checks, store
from layers.gateway.errors import ApiError


def test_a_competing_create_of_the_same_name_wins(bh):
    attempts = []

    def create(tx):
        attempts.append(1)
        taken = checks.name_taken(tx.all("usergroup"), "Name", "ops")
        if len(attempts) == 1:
            bh.call("CreateUserGroup", Name="ops")                 # slips in after our read
        if taken:
            raise ApiError("FailedOperation.DuplicateData", "taken")
        (gid,) = tx.new_ids("usergroup")
        tx.put("usergroup", {"Id": gid, "Name": "ops", "DepartmentId": ""})

    with pytest.raises(ApiError) as err:
        store.transaction(bh.acct["OwnerUin"], create)
    assert err.value.code == "FailedOperation.DuplicateData" and len(attempts) == 2
    assert bh.call("DescribeUserGroups")["TotalCount"] == 1


def test_a_competing_bind_is_counted_against_the_nodes(bh):
    rid = bh.resource(nodes=10)
    devices = bh.devices(*(f"10.7.0.{i}" for i in range(1, 12)))
    bh.call("BindDeviceResource", DeviceIdSet=devices[:9], ResourceId=rid)
    attempts = []

    def bind_tenth(tx):
        attempts.append(1)
        resource = cascade.resources_by_rid(tx)[rid]
        device = tx.get("device", devices[9])
        if len(attempts) == 1:
            bh.call("BindDeviceResource", DeviceIdSet=[devices[10]], ResourceId=rid)   # takes the last node
        cascade.bind(tx, [device], resource)

    with pytest.raises(ApiError) as err:
        store.transaction(bh.acct["OwnerUin"], bind_tenth)
    assert err.value.code == "LimitExceeded" and len(attempts) == 2
    assert bh.call("DescribeResources")["ResourceSet"][0]["UsedNodes"] == 10
    assert bh.call("DescribeDevices", ResourceIdSet=[rid])["TotalCount"] == 10


def test_a_reference_to_a_record_deleted_meanwhile_is_refused(bh):
    uid = bh.user("zoe")
    attempts = []

    def grant(tx):
        attempts.append(1)
        checks.require(tx.get("user", uid), uid, checks.USER)
        if len(attempts) == 1:
            bh.call("DeleteUsers", IdSet=[uid])
        (aid,) = tx.new_ids("acl")
        tx.put("acl", {"Id": aid, "Name": "late", "UserIds": [uid]})

    with pytest.raises(ApiError) as err:
        store.transaction(bh.acct["OwnerUin"], grant)
    assert err.value.code == "ResourceNotFound" and len(attempts) == 2
    assert bh.call("DescribeAcls")["TotalCount"] == 0


def test_persistent_conflicts_give_up_cleanly(bh):
    def always_contended(tx):
        tx.all("usergroup")
        bh.call("CreateUserGroup", Name=f"g{len(tx.all('usergroup'))}-{id(tx)}")
        (gid,) = tx.new_ids("usergroup")
        tx.put("usergroup", {"Id": gid, "Name": f"mine{gid}", "DepartmentId": ""})

    with pytest.raises(ApiError) as err:
        store.transaction(bh.acct["OwnerUin"], always_contended, attempts=3)
    assert err.value.code == "FailedOperation.TooFrequent"
    assert all(not g["Name"].startswith("mine") for g in bh.call("DescribeUserGroups", Limit=50)["GroupSet"])
