"""The local stack keeps its state in its data folder: started again after a crash (SIGKILL of
the stack and its children, once moto's last snapshot is on disk) or after Ctrl-C, it has the
same demo key, VSMs, bastion users, devices, ACLs and device credentials, KMS keys whose old
ciphertexts decrypt, and S3 objects, and ships the audit spool the crashed run left; GZ_FRESH=1
starts empty. The tccli profile it writes answers without --endpoint or keys."""
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from helpers import common_client
from test_local_stack import run_over_ssh
from layers.regions import aws_region

ROOT = Path(__file__).resolve().parents[2]
TCCLI = str(Path(sys.executable).parent / "tccli")
# What the test session's own stack exports: the stack under test sets its own.
_INHERITED = ("GZ_AWS_ENDPOINT", "GZ_OPENSEARCH_URL", "GZ_AUDIT_DELIVERY", "GZ_AUDIT_SPOOL_DIR", "GZ_FRESH",
              "GZ_TCCLI_PROFILE", "GZ_DATA_DIR")


class Stack:
    def __init__(self, tmp: Path, run: int, **env) -> None:
        self.tmp, self.state = tmp, tmp / f"state-{run}.json"
        self.log = tmp / f"stack-{run}.log"
        environ = {k: v for k, v in os.environ.items() if k not in _INHERITED}
        environ.update(GZ_DATA_DIR=str(tmp / "data"), HOME=str(tmp / "home"), GZ_SSH_PORT="0", **env)
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "infra.local_stack", "--port", "0",
                                          "--state", str(self.state)], cwd=ROOT, env=environ,
                                         stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self.state.exists():
            assert self.proc.poll() is None and time.monotonic() < deadline, self.output()
            time.sleep(0.1)
        time.sleep(0.05)        # the JSON written whole
        self.info = json.loads(self.state.read_text())
        self.endpoint = self.info["endpoint"]

    def output(self) -> str:
        return self.log.read_text()[-4000:]

    def client(self, service: str, version: str, acct=None):
        return common_client(self.endpoint, acct or self.info, service, version)

    def aws(self, service: str):
        return boto3.client(service, endpoint_url=self.info["moto"], region_name=aws_region("ap-guangzhou"),
                            aws_access_key_id="local", aws_secret_access_key="local")

    def s3(self):
        return self.aws("s3")

    def moto_state(self) -> dict:
        with urllib.request.urlopen(self.info["moto"] + "/moto-state", timeout=10) as resp:
            return json.loads(resp.read())

    def saved(self, *services: str, timeout: float = 10.0) -> float:
        """Seconds until moto has written the latest changes of these services (the pump's long
        polls keep marking SQS)."""
        started = time.monotonic()
        while set(services) & set(self.moto_state()["changed"]):
            assert time.monotonic() - started < timeout, self.moto_state()
            time.sleep(0.05)
        return time.monotonic() - started

    def kill(self) -> None:
        """A crash: the stack and its children, at once, with nothing written on the way out."""
        pids = [self.proc.pid]
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("the stack did not stop within 60 s of Ctrl-C:\n" + self.output())
        assert self.proc.returncode == 0, self.output()
        for url in (self.info["moto"], "http://" + self.endpoint):
            host, port = url.split("//", 1)[1].split(":")
            with socket.socket() as s:
                s.settimeout(0.5)
                assert s.connect_ex((host, int(port))) != 0, f"{url} still answers"


@pytest.fixture
def stacks(tmp_path):
    started = []

    def start(**env) -> Stack:
        started.append(Stack(tmp_path, len(started), **env))
        return started[-1]
    yield start
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
        print(f"--- the log of stack {s.log.name} (shown when the test fails) ---\n{s.output()}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _own_subnet(stack: Stack) -> tuple:
    """A VPC and subnet of the demo account in EC2, as CloudHSM places a VSM."""
    ec2 = stack.aws("ec2")
    tags = [{"Key": "guardzone:OwnerUin", "Value": stack.info["OwnerUin"]}]
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])
    subnet = ec2.create_subnet(VpcId=vpc["Vpc"]["VpcId"], CidrBlock="10.30.1.0/24", AvailabilityZone="us-east-1a",
                               TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}])
    return vpc["Vpc"]["VpcId"], subnet["Subnet"]["SubnetId"]


def _audit_event(stack: Stack, request_id: str, wait: float = 30) -> dict:
    """The audit event of a request, as LookupEvents finds it (waiting for the indexer)."""
    now = int(time.time() * 1000)
    query = {"StartTime": now - 3_600_000, "EndTime": now + 600_000,
             "LookupAttributes": [{"AttributeKey": "RequestId", "AttributeValue": request_id}]}
    audit, deadline = stack.client("cloudaudit", "2019-03-04"), time.monotonic() + wait
    while True:
        found = audit.call_json("LookupEvents", query)["Response"]["Events"]
        if found or time.monotonic() >= deadline:
            assert [e["RequestId"] for e in found] == [request_id]
            return found[0]
        time.sleep(0.2)


def test_a_crash_after_the_last_snapshot_loses_nothing(stacks):
    first = stacks()
    assert "state        new, kept in" in first.output()
    vpc, subnet = _own_subnet(first)
    vsm = first.client("cloudhsm", "2019-11-12").call_json("CreateResource", {
        "PayMode": 1, "GoodsNum": 1, "VsmType": 33, "VpcId": vpc, "SubnetId": subnet, "ZoneId": 100003})
    vsm_id = vsm["Response"]["ResourceIds"][0]
    dasb = first.client("dasb", "2019-10-18")
    user = dasb.call_json("CreateUser", {"UserName": "alice", "RealName": "Alice", "Phone": "13800000000"})
    device = dasb.call_json("ImportExternalDevice", {"DeviceSet": [{"OsName": "Linux", "Ip": "10.0.0.7",
                                                                     "Port": 22}]})["Response"]["DeviceIdSet"][0]
    account = dasb.call_json("CreateDeviceAccount", {"DeviceId": device, "Account": "root"})["Response"]["Id"]
    dasb.call_json("BindDeviceAccountPassword", {"Id": account, "Password": "s3cret-Pass"})
    acl = dasb.call_json("CreateAcl", {"Name": "ops", "AllowDiskRedirect": True, "AllowAnyAccount": False,
                                       "UserIdSet": [user["Response"]["Id"]], "DeviceIdSet": [device]})
    kms = first.client("kms", "2019-01-18")
    created = kms.call_json("CreateKey", {"Alias": "kept"})["Response"]
    key = created["KeyId"]
    audited = _audit_event(first, created["RequestId"])            # indexed into the search store
    blob = kms.call_json("Encrypt", {"KeyId": key, "Plaintext": _b64(b"kept plaintext")})["Response"]["CiphertextBlob"]
    first.s3().put_object(Bucket="guardzone-archive", Key="kept/object", Body=b"kept object")
    waited = first.saved("dynamodb", "kms", "s3", "ec2")
    assert waited < 3, f"moto took {waited:.1f} s to write its last changes"
    first.kill()
    left = first.tmp / "data" / "spool" / f"audit-{first.proc.pid}.spool"
    assert left.exists()

    second = stacks()
    try:
        assert "state        restored from" in second.output()
        assert (second.info["SecretId"], second.info["SecretKey"]) == (first.info["SecretId"], first.info["SecretKey"])
        hsm = second.client("cloudhsm", "2019-11-12", first.info)     # the key as the first run gave it
        vsms = hsm.call_json("DescribeVsms", {"Offset": 0, "Limit": 10})["Response"]
        assert [v["ResourceId"] for v in vsms["VsmList"]] == [vsm_id] and vsms["VsmList"][0]["SubnetId"] == subnet
        dasb = second.client("dasb", "2019-10-18", first.info)
        users = dasb.call_json("DescribeUsers", {})["Response"]["UserSet"]
        assert sorted(u["UserName"] for u in users) == ["alice", "demo"]      # the demo bastion's user too
        devices = dasb.call_json("DescribeDevices", {})["Response"]["DeviceSet"]
        hosts = sorted(d["PrivateIp"] for d in devices if d["OsName"] != "MySQL")   # the demo MariaDB, where installed
        assert hosts == ["10.0.0.7", "127.0.0.1"]
        bound = dasb.call_json("DescribeDeviceAccounts", {"DeviceId": device})["Response"]["DeviceAccountSet"]
        assert bound[0]["Account"] == "root" and bound[0]["BoundPassword"] is True
        acls = dasb.call_json("DescribeAcls", {})["Response"]["AclSet"]
        assert (acl["Response"]["Id"], "ops") in [(a["Id"], a["Name"]) for a in acls]
        # the demo login works again, with the same password and authenticator
        assert second.info["ssh"]["password"] == first.info["ssh"]["password"]
        assert run_over_ssh(second.info["ssh"], second.tmp, "echo again") == "again\n"
        kms = second.client("kms", "2019-01-18")
        plain = kms.call_json("Decrypt", {"CiphertextBlob": blob})["Response"]["Plaintext"]
        assert base64.b64decode(plain) == b"kept plaintext"
        assert second.s3().get_object(Bucket="guardzone-archive", Key="kept/object")["Body"].read() == b"kept object"
        assert _audit_event(second, created["RequestId"], wait=0) == audited   # in the store's files, not re-sent
        deadline = time.monotonic() + 10                # the crashed run's spool, shipped at the start
        while left.exists():
            assert time.monotonic() < deadline, "the spool the crashed run left was not shipped"
            time.sleep(0.1)
    finally:
        second.stop()


def test_ctrl_c_keeps_the_last_write_and_the_tccli_profile_answers(stacks, tmp_path):
    first = stacks()
    key = first.client("kms", "2019-01-18").call_json("CreateKey", {"Alias": "last"})["Response"]["KeyId"]
    first.stop()                                    # Ctrl-C right after the write

    second = stacks()
    try:
        profile = json.loads((tmp_path / "home/.tccli/guardzone.configure").read_text())
        assert {"cloudhsm", "cloudaudit", "dasb", "kms"} <= set(profile)
        assert profile["kms"]["endpoint"] == f"http://{second.endpoint}"
        out = subprocess.run([TCCLI, "--profile", "guardzone", "kms", "ListKeys"], capture_output=True, text=True,
                             env={**os.environ, "HOME": str(tmp_path / "home")}, timeout=60)
        assert out.returncode == 0, out.stderr + out.stdout
        assert [k["KeyId"] for k in json.loads(out.stdout)["Keys"]] == [key]
    finally:
        second.stop()


def test_fresh_starts_empty(stacks):
    first = stacks()
    first.s3().put_object(Bucket="guardzone-archive", Key="old/object", Body=b"old")
    first.stop()

    second = stacks(GZ_FRESH="1")
    try:
        assert "state        new, kept in" in second.output()
        assert second.info["SecretId"] != first.info["SecretId"]
        kept = second.s3().list_objects_v2(Bucket="guardzone-archive").get("Contents", [])
        assert "old/object" not in [o["Key"] for o in kept]     # (the demo bastion's calls are archived anew)
        with pytest.raises(TencentCloudSDKException) as refused:
            second.client("kms", "2019-01-18", first.info).call_json("ListKeys", {})
        assert refused.value.code.startswith("AuthFailure")
    finally:
        second.stop()
