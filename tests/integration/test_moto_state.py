"""moto that keeps its state (infra/moto_state.py): what the local stack keeps in each service
comes back after a restart, whether moto was stopped (SIGTERM) or killed (SIGKILL) after a
snapshot; which requests mark a service; the lock that keeps requests out of a snapshot."""
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import boto3
import pytest

from infra import services
from infra.moto_state import changes_state
from infra.rwlock import RWLock

REGION = "ap-east-1"        # where ap-guangzhou's networks live (layers/regions.py)


def _clients(url):
    kw = dict(endpoint_url=url, aws_access_key_id="local", aws_secret_access_key="local")
    return {name: boto3.client(name, region_name=REGION if name in ("ec2", "rds") else "us-east-1", **kw)
            for name in ("dynamodb", "sqs", "s3", "kms", "cloudwatch", "ec2", "rds")}


def _fill(c) -> dict:
    """Something in every service the stack uses, as the stack uses it."""
    ddb = c["dynamodb"]
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}])
    ddb.update_time_to_live(TableName="t", TimeToLiveSpecification={"AttributeName": "expires", "Enabled": True})
    for i in range(50):
        ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": f"{i:03d}"}, "n": {"N": str(i)},
                                          "l": {"L": [{"S": "x"}, {"M": {"k": {"B": b"\x00\x01"}}}]}})
    sqs = c["sqs"]
    dlq = sqs.create_queue(QueueName="q-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    q = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "600", "RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})})["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="first")
    got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=1)["Messages"][0]     # now in flight
    sqs.send_message(QueueUrl=q, MessageBody="waiting")
    s3 = c["s3"]
    s3.create_bucket(Bucket="kept-bucket")
    s3.put_object(Bucket="kept-bucket", Key="exports/a.json", Body=b"A" * 70_000, Metadata={"m": "1"})
    upload = s3.create_multipart_upload(Bucket="kept-bucket", Key="big")["UploadId"]
    s3.upload_part(Bucket="kept-bucket", Key="big", UploadId=upload, PartNumber=1, Body=b"p" * (5 * 1024 * 1024))
    s3.put_bucket_lifecycle_configuration(Bucket="kept-bucket", LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "exports/"}, "Expiration": {"Days": 3}}]})
    kms = c["kms"]
    key = kms.create_key(Description="root")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/guardzone-root", TargetKeyId=key)
    blob = kms.encrypt(KeyId="alias/guardzone-root", Plaintext=b"secret")["CiphertextBlob"]
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    cw = c["cloudwatch"]
    cw.put_metric_alarm(AlarmName="dead-lettered", Namespace="Guardzone/Audit", MetricName="EventsDeadLettered",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.put_metric_data(Namespace="Guardzone/Audit", MetricData=[{"MetricName": "EventsDeadLettered", "Value": 2}])
    ec2 = c["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "guardzone:OwnerUin", "Value": "100"}]}])["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet,
                                 SecurityGroupIds=[group])["Instances"][0]["InstanceId"]
    c["rds"].create_db_instance(DBInstanceIdentifier="db1", DBInstanceClass="db.t3.micro", Engine="mysql",
                                MasterUsername="admin", MasterUserPassword="password1", AllocatedStorage=20)
    return {"queue": q, "dlq": dlq, "receipt": got["ReceiptHandle"], "upload": upload, "key": key, "blob": blob,
            "signing": signing, "signature": signature, "vpc": vpc, "subnet": subnet, "group": group,
            "instance": instance}


def _check(c, made: dict) -> None:
    ddb = c["dynamodb"]
    items = ddb.query(TableName="t", KeyConditionExpression="pk = :a",
                      ExpressionAttributeValues={":a": {"S": "a"}})["Items"]
    assert len(items) == 50 and items[7]["l"]["L"][1]["M"]["k"]["B"] == b"\x00\x01"
    assert ddb.describe_time_to_live(TableName="t")["TimeToLiveDescription"]["AttributeName"] == "expires"
    sqs = c["sqs"]
    attrs = sqs.get_queue_attributes(QueueUrl=made["queue"], AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "600" and json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 3
    assert attrs["ApproximateNumberOfMessages"] == "1" and attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert sqs.receive_message(QueueUrl=made["queue"])["Messages"][0]["Body"] == "waiting"
    sqs.delete_message(QueueUrl=made["queue"], ReceiptHandle=made["receipt"])     # the receipt still holds
    assert sqs.get_queue_attributes(QueueUrl=made["queue"], AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
                                    )["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
    sqs.send_message(QueueUrl=made["queue"], MessageBody="after")              # the queue's lock works again
    s3 = c["s3"]
    s3.create_bucket(Bucket="kept-bucket")      # as the stack's start does: the bucket is kept, not replaced
    obj = s3.get_object(Bucket="kept-bucket", Key="exports/a.json")
    assert obj["Body"].read() == b"A" * 70_000 and obj["Metadata"] == {"m": "1"}
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="kept-bucket")["Uploads"]] == [made["upload"]]
    assert s3.get_bucket_lifecycle_configuration(Bucket="kept-bucket")["Rules"][0]["ID"] == "expire"
    kms = c["kms"]
    assert kms.decrypt(CiphertextBlob=made["blob"])["Plaintext"] == b"secret"
    assert kms.describe_key(KeyId="alias/guardzone-root")["KeyMetadata"]["KeyId"] == made["key"]
    assert kms.verify(KeyId=made["signing"], Message=b"m", Signature=made["signature"],
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    cw = c["cloudwatch"]
    assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["dead-lettered"]
    assert cw.list_metrics(Namespace="Guardzone/Audit")["Metrics"][0]["MetricName"] == "EventsDeadLettered"
    ec2 = c["ec2"]
    vpc = ec2.describe_vpcs(VpcIds=[made["vpc"]])["Vpcs"][0]
    assert vpc["Tags"] == [{"Key": "guardzone:OwnerUin", "Value": "100"}]
    assert ec2.describe_subnets(SubnetIds=[made["subnet"]])["Subnets"][0]["VpcId"] == made["vpc"]
    assert ec2.describe_security_groups(GroupIds=[made["group"]])["SecurityGroups"][0]["VpcId"] == made["vpc"]
    found = ec2.describe_instances(InstanceIds=[made["instance"]])["Reservations"][0]["Instances"][0]
    assert found["SubnetId"] == made["subnet"] and found["State"]["Name"] == "running"
    assert c["rds"].describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]["Engine"] == "mysql"


def _moto(state_dir):
    return services.moto_server(state_dir=str(state_dir)).start()


def test_every_service_comes_back_after_a_stop_and_after_a_kill(tmp_path):
    moto = _moto(tmp_path)
    try:
        made = _fill(_clients(moto.url))
        moto.stop()                                     # SIGTERM: the last snapshot on the way out
        assert moto.proc.returncode == 0
        moto = _moto(tmp_path)
        assert set(services.moto_state(moto.url)["restored"]) >= {"dynamodb", "sqs", "s3", "kms", "cloudwatch",
                                                                   "ec2", "rds"}
        c = _clients(moto.url)
        _check(c, made)
        c["s3"].put_object(Bucket="kept-bucket", Key="late", Body=b"late")
        deadline = time.monotonic() + 10                # the background snapshot, then a crash
        while "s3" in services.moto_state(moto.url)["changed"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        os.kill(moto.proc.pid, signal.SIGKILL)
        moto.proc.wait()
        moto = _moto(tmp_path)
        assert _clients(moto.url)["s3"].get_object(Bucket="kept-bucket", Key="late")["Body"].read() == b"late"
    finally:
        moto.stop()
    assert not list(tmp_path.glob("*.tmp"))


def test_a_long_poll_does_not_hold_a_snapshot_back(tmp_path):
    moto = _moto(tmp_path)
    try:
        sqs = _clients(moto.url)["sqs"]
        url = sqs.create_queue(QueueName="idle")["QueueUrl"]
        poll = threading.Thread(target=sqs.receive_message, kwargs={"QueueUrl": url, "WaitTimeSeconds": 5})
        poll.start()
        time.sleep(0.5)
        sqs.create_queue(QueueName="changed-while-polled")     # a change the snapshot must write
        started = time.monotonic()
        written = services.moto_state(moto.url, snapshot=True)["written"]
        assert time.monotonic() - started < 2
        # written now, or by the periodic snapshot a moment before: either way not held back
        assert "sqs" in written or "sqs" not in services.moto_state(moto.url)["changed"]
        assert poll.is_alive()                                 # the long poll was still waiting
        poll.join()
    finally:
        moto.stop()


def test_one_moto_at_a_time_on_a_folder(tmp_path):
    moto = _moto(tmp_path)
    try:
        second = subprocess.run([sys.executable, "-m", "infra.moto_state", "--port", str(services.free_port()),
                                 "--state-dir", str(tmp_path), "--lock-wait", "0"],
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "in use by another process" in second.stderr
    finally:
        moto.stop()


def test_unreadable_state_stops_moto_with_a_reason(tmp_path):
    (tmp_path / "sqs.pickle").write_bytes(b"not a snapshot")
    moto = services.moto_server(state_dir=str(tmp_path))
    moto.stderr = str(tmp_path / "stderr")
    with pytest.raises(RuntimeError, match="exited with 2"):
        moto.start()
    assert "GZ_FRESH=1" in (tmp_path / "stderr").read_text()


def _environ(method="POST", target="", path="/", query="", body=b"", ctype=""):
    return {"REQUEST_METHOD": method, "HTTP_X_AMZ_TARGET": target, "PATH_INFO": path, "QUERY_STRING": query,
            "CONTENT_TYPE": ctype, "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}


@pytest.mark.parametrize("environ, changes", [
    (_environ(target="DynamoDB_20120810.GetItem"), False),
    (_environ(target="DynamoDB_20120810.Query"), False),
    (_environ(target="DynamoDB_20120810.UpdateItem"), True),
    (_environ(target="DynamoDB_20120810.TransactWriteItems"), True),
    (_environ(target="TrentService.Decrypt"), False),
    (_environ(target="TrentService.CreateKey"), True),
    (_environ(target="AmazonSQS.ReceiveMessage"), True),        # receive counts, visibility
    (_environ(target="AmazonSQS.GetQueueAttributes"), False),
    (_environ(path="/service/GraniteServiceVersion20100801/operation/DescribeAlarms"), False),
    (_environ(path="/service/GraniteServiceVersion20100801/operation/PutMetricData"), True),
    (_environ(body=b"Action=DescribeVpcs&Version=2016-11-15", ctype="application/x-www-form-urlencoded"), False),
    (_environ(body=b"Action=RunInstances&Version=2016-11-15", ctype="application/x-www-form-urlencoded"), True),
    (_environ(method="GET", path="/bucket/key"), False),
    (_environ(method="PUT", path="/bucket/key"), True),
    (_environ(method="POST", path="/bucket", query="delete"), True),
])
def test_which_requests_mark_their_service(environ, changes):
    assert changes_state(environ) is changes


def test_query_body_is_left_for_moto():
    environ = _environ(body=b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16", ctype="application/x-www-form-urlencoded")
    assert changes_state(environ)
    assert environ["wsgi.input"].read() == b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16"


def test_a_writer_waits_for_readers_and_holds_new_ones_back():
    lock, order = RWLock(), []
    lock.acquire_read()
    writer = threading.Thread(target=lambda: (lock.acquire_write(), order.append("write"), lock.release_write()))
    writer.start()
    time.sleep(0.05)
    reader = threading.Thread(target=lambda: (lock.acquire_read(), order.append("read"), lock.release_read()))
    reader.start()
    time.sleep(0.05)
    assert order == []                  # the writer waits for the first reader; the second waits behind it
    lock.release_read()
    writer.join(2)
    reader.join(2)
    assert order == ["write", "read"]


def test_a_large_service_is_read_back_at_its_first_request_and_kept_until_then(tmp_path):
    from infra import moto_state
    moto = _moto(tmp_path)
    try:
        vpc = _clients(moto.url)["ec2"].create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
        moto.stop()
        saved = tmp_path / "ec2.pickle"
        assert saved.stat().st_size > moto_state.RESTORE_LATER_BYTES     # its regions' images: read back later
        before = saved.read_bytes()
        moto = _moto(tmp_path)
        c = _clients(moto.url)
        c["dynamodb"].list_tables()
        services.moto_state(moto.url, snapshot=True)            # nothing of EC2 written over its file
        assert saved.read_bytes() == before
        assert vpc in [v["VpcId"] for v in c["ec2"].describe_vpcs()["Vpcs"]]
        c["ec2"].create_vpc(CidrBlock="10.62.0.0/16")
        moto.stop()
        moto = _moto(tmp_path)
        assert len([v for v in _clients(moto.url)["ec2"].describe_vpcs()["Vpcs"]
                    if v["CidrBlock"].startswith("10.6")]) == 2
    finally:
        moto.stop()
