"""Asset sync: CreateAssetSyncJob, DescribeAssetSyncStatus, the job worker and the schedule,
reading EC2 and RDS (moto) tagged with the owner account."""
import json

import pytest

from infra.pump import Pump
from layers import aws
from layers.bastion import asset_sync, config

OWNER = config.DEFAULT_OWNER_TAG


@pytest.fixture(autouse=True)
def two_regions(monkeypatch):
    monkeypatch.setenv("GZ_BASTION_SYNC_REGIONS", "ap-guangzhou,ap-beijing")


@pytest.fixture(scope="module")
def images(stack):
    ec2 = aws.client("ec2", "ap-guangzhou")
    linux = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}])
    windows = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "platform", "Values": ["windows"]}])
    return {"linux": linux["Images"][0]["ImageId"], "windows": windows["Images"][0]["ImageId"]}


def launch(images, owner: str, name: str, *, os_name: str = "linux", region: str = "ap-guangzhou", **tags) -> str:
    all_tags = {"Name": name, **tags}
    if owner:
        all_tags[OWNER] = owner
    ec2 = aws.client("ec2", region)
    return ec2.run_instances(ImageId=images[os_name], MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in all_tags.items()]}],
    )["Instances"][0]["InstanceId"]


def run_jobs(stack) -> None:
    source = next(s for s in stack.app.event_sources if s.name == "bastion_asset_sync_job")
    pump = Pump(stack.app)
    while pump.deliver_once(source):
        pass


def sync(stack, bh, category: int = 1) -> dict:
    bh.call("CreateAssetSyncJob", Category=category)
    run_jobs(stack)
    return bh.call("DescribeAssetSyncStatus", Category=category)["Status"]


def by_instance(bh) -> dict:
    return {d["InstanceId"]: d for d in bh.call("DescribeDevices", Limit=1000)["DeviceSet"]}


def test_job_syncs_the_accounts_hosts(stack, bh, other, images):
    owner = bh.acct["OwnerUin"]
    web = launch(images, owner, "web-1", env="prod")
    win = launch(images, owner, "win-1", os_name="windows")
    far = launch(images, owner, "far-1", region="ap-beijing")
    launch(images, other.acct["OwnerUin"], "not-mine")
    launch(images, "", "untagged")
    assert bh.call("DescribeAssetSyncStatus", Category=1)["Status"] == {"LastTime": "", "LastStatus": 0,
                                                                        "InProcess": False}
    bh.call("CreateAssetSyncJob", Category=1)
    assert bh.call("DescribeAssetSyncStatus", Category=1)["Status"]["InProcess"] is True
    assert bh.error("CreateAssetSyncJob", Category=1) == "FailedOperation.TooFrequent"
    run_jobs(stack)
    status = bh.call("DescribeAssetSyncStatus", Category=1)["Status"]
    assert status["LastStatus"] == 1 and status["InProcess"] is False and status["LastTime"].endswith("+08:00")
    devices = by_instance(bh)
    assert set(devices) == {web, win, far}
    instance = aws.client("ec2", "ap-guangzhou").describe_instances(InstanceIds=[web])["Reservations"][0]["Instances"][0]
    d = devices[web]
    assert (d["Name"], d["Kind"], d["Port"], d["ApCode"]) == ("web-1", 1, 22, "ap-guangzhou")
    assert (d["PrivateIp"], d["PublicIp"]) == (instance["PrivateIpAddress"], instance.get("PublicIpAddress", ""))
    assert (d["VpcId"], d["SubnetId"]) == (instance["VpcId"], instance["SubnetId"])
    assert (devices[win]["Kind"], devices[win]["Port"], devices[win]["OsName"]) == (2, 3389, "Windows")
    assert devices[far]["ApCode"] == "ap-beijing"
    ids = lambda **f: [x["InstanceId"] for x in bh.call("DescribeDevices", **f)["DeviceSet"]]  # noqa: E731
    assert ids(TagFilters=[{"TagKey": "env", "TagValue": ["prod"]}]) == [web]
    assert ids(TagFilters=[{"TagKey": "env"}, {"TagKey": "Name", "TagValue": ["win-1"]}]) == []
    assert ids(ApCodeSet=["ap-beijing"]) == [far] and ids(Name=web[-6:]) == [web]
    assert other.call("DescribeDevices")["TotalCount"] == 0
    # a second sync with nothing changed keeps every device (and its Id)
    before = {k: v["Id"] for k, v in devices.items()}
    assert sync(stack, bh)["LastStatus"] == 1
    assert {k: v["Id"] for k, v in by_instance(bh).items()} == before


def test_changes_and_disappeared_instances(stack, bh, images):
    owner = bh.acct["OwnerUin"]
    keep, gone = launch(images, owner, "keep"), launch(images, owner, "gone")
    sync(stack, bh)
    devices = by_instance(bh)
    kid, gid_ = devices[keep]["Id"], devices[gone]["Id"]
    group = bh.call("CreateDeviceGroup", Name="synced")["Id"]
    bh.call("ModifyDevice", Id=kid, Port=2222, GroupIdSet=[group])
    account = bh.call("CreateDeviceAccount", DeviceId=gid_, Account="root")["Id"]
    acl = bh.call("CreateAcl", Name="a", AllowDiskRedirect=False, AllowAnyAccount=True, DeviceIdSet=[kid, gid_])["Id"]
    ec2 = aws.client("ec2", "ap-guangzhou")
    ec2.create_tags(Resources=[keep], Tags=[{"Key": "Name", "Value": "renamed"}])
    ec2.terminate_instances(InstanceIds=[gone])
    added = launch(images, owner, "new")
    assert sync(stack, bh)["LastStatus"] == 1
    devices = by_instance(bh)
    assert set(devices) == {keep, added}
    kept = devices[keep]
    assert kept["Id"] == kid and kept["Name"] == "renamed" and kept["Port"] == 2222
    assert [g["Id"] for g in kept["GroupSet"]] == [group]
    assert bh.call("DescribeDeviceAccounts", IdSet=[account])["TotalCount"] == 0
    assert [d["Id"] for d in bh.call("DescribeAcls", IdSet=[acl])["AclSet"][0]["DeviceSet"]] == [kid]
    assert devices[added]["Id"] > gid_


def test_databases(stack, bh):
    owner = bh.acct["OwnerUin"]
    rds = aws.client("rds", "ap-guangzhou")
    for ident, engine in ((f"my-{owner}", "mysql"), (f"ms-{owner}", "sqlserver-ex"), (f"pg-{owner}", "postgres")):
        rds.create_db_instance(DBInstanceIdentifier=ident, Engine=engine, DBInstanceClass="db.t3.micro",
                               AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="Passw0rd1",
                               Tags=[{"Key": OWNER, "Value": owner}])
    assert sync(stack, bh, category=2)["LastStatus"] == 1
    devices = by_instance(bh)
    assert set(devices) == {f"my-{owner}", f"ms-{owner}"}
    mysql, mssql = devices[f"my-{owner}"], devices[f"ms-{owner}"]
    assert (mysql["Kind"], mysql["OsName"], mysql["Port"]) == (3, "MySQL", 3306)
    assert (mssql["Kind"], mssql["OsName"]) == (4, "SQLServer") and mysql["PrivateIp"]
    assert bh.call("DescribeAssetSyncStatus", Category=1)["Status"]["LastStatus"] == 0
    # a host sync leaves the databases alone
    assert sync(stack, bh, category=1)["LastStatus"] == 1
    assert set(by_instance(bh)) == {f"my-{owner}", f"ms-{owner}"}


def test_unreadable_inventory_fails_and_removes_nothing(stack, bh, images, monkeypatch):
    launch(images, bh.acct["OwnerUin"], "survivor")
    sync(stack, bh)
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9")       # nothing listens there
    status = sync(stack, bh)
    assert status["LastStatus"] == 2 and status["InProcess"] is False
    assert bh.call("DescribeDevices")["TotalCount"] == 1


def test_schedule_syncs_every_tagged_account(stack, bh, other, images):
    launch(images, bh.acct["OwnerUin"], "sched-a")
    launch(images, other.acct["OwnerUin"], "sched-b")
    launch(images, "999999999999", "no-such-account")
    summary = Pump(stack.app).fire("bastion_asset_sync")
    assert summary["synced"] >= 2
    assert [d["Name"] for d in bh.call("DescribeDevices")["DeviceSet"]] == ["sched-a"]
    assert [d["Name"] for d in other.call("DescribeDevices")["DeviceSet"]] == ["sched-b"]
    assert bh.call("DescribeAssetSyncStatus", Category=2)["Status"]["LastStatus"] == 1


def test_lease_and_stale_jobs(stack, bh, images):
    owner = bh.acct["OwnerUin"]
    launch(images, owner, "leased")
    token = asset_sync.acquire(owner, 1)
    assert token and asset_sync.acquire(owner, 1) is None
    assert bh.error("CreateAssetSyncJob", Category=1) == "FailedOperation.TooFrequent"
    bh.call("CreateAssetSyncJob", Category=2)                     # the other category is independent
    run_jobs(stack)
    asset_sync.release(owner, 1, token, None)
    sqs = aws.client("sqs")
    url = stack.resources["BastionAssetSyncQueue"]["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"Account": owner, "Category": 1, "Token": token}))
    run_jobs(stack)                                               # its lease is gone: dropped
    assert bh.call("DescribeDevices")["TotalCount"] == 0
    assert bh.call("DescribeAssetSyncStatus", Category=1)["Status"]["LastStatus"] == 0
    assert bh.error("CreateAssetSyncJob", Category=3) == "InvalidParameterValue"
    assert bh.error("DescribeAssetSyncStatus") == "MissingParameter"
