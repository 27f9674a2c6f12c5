"""Audit events reach the queue even when the queue, or the queue and the outbox table, are down."""
import json
import os
import random
import uuid

import pytest

from helpers import response_of, tc3_request
from layers import aws
from layers.config import settings
from layers.gateway import audit_emitter
from layers.gateway.audit_emitter import AuditEmitter, Spool, drain_outbox
from layers.gateway.audit_message import lines_of
from layers.gateway.pipeline import Gateway

DEAD = "http://127.0.0.1:9"   # nothing listens on the discard port


@pytest.fixture
def outage(monkeypatch):
    """Point one AWS service's client at a dead endpoint (as boto3's AWS_ENDPOINT_URL_<SERVICE> does)."""
    def down(*services):
        for svc in services:
            monkeypatch.setenv(f"AWS_ENDPOINT_URL_{svc.upper()}", DEAD)
        aws.reset_clients()

    def restore():
        for svc in ("sqs", "dynamodb"):
            monkeypatch.delenv(f"AWS_ENDPOINT_URL_{svc.upper()}", raising=False)
        aws.reset_clients()
    yield down
    restore()


def event(**extra):
    return {"EventId": uuid.uuid4().hex, "RequestId": str(uuid.uuid4()), "EventName": "Test", **extra}


def test_queue_outage_keeps_the_event_in_the_outbox(stack, audit, outage):
    ev = event()
    outage("sqs")
    AuditEmitter(mode="sync").emit(ev)
    os.environ.pop("AWS_ENDPOINT_URL_SQS")
    aws.reset_clients()
    assert audit.collect() == []
    assert drain_outbox() >= 1
    got = [e for e in audit.collect(wait_for=1) if e["EventId"] == ev["EventId"]]
    assert len(got) == 1
    assert drain_outbox() == 0          # moved once, not again


def test_request_succeeds_during_a_queue_outage_and_its_event_arrives_later(account, audit, outage):
    gw = Gateway(emitter=AuditEmitter(mode="sync"))
    outage("sqs")
    resp = response_of(gw.handle(tc3_request(account, "DescribeRegions", {})))
    assert "Regions" in resp
    os.environ.pop("AWS_ENDPOINT_URL_SQS")
    aws.reset_clients()
    drain_outbox()
    assert audit.by_request(resp["RequestId"])["EventName"] == "DescribeRegions"


def test_queue_and_table_outage_falls_back_to_the_local_spool(stack, audit, outage):
    ev = event()
    emitter = AuditEmitter(mode="sync")
    outage("sqs", "dynamodb")
    emitter.emit(ev)
    for svc in ("SQS", "DYNAMODB"):
        os.environ.pop(f"AWS_ENDPOINT_URL_{svc}")
    aws.reset_clients()
    assert drain_outbox() >= 1
    assert [e["EventId"] for e in audit.collect(wait_for=1)] == [ev["EventId"]]


def test_spool_mode_ships_batches_and_survives_an_outage(stack, audit, outage, tmp_path, monkeypatch):
    monkeypatch.setattr(settings(), "audit_spool_dir", str(tmp_path))
    emitter = AuditEmitter(mode="spool")
    outage("sqs")
    sent = [event(N=i) for i in range(23)]
    for ev in sent[:13]:
        emitter.emit(ev)
    with pytest.raises(Exception):
        emitter.flush()                 # the queue is down: nothing is committed
    os.environ.pop("AWS_ENDPOINT_URL_SQS")
    aws.reset_clients()
    for ev in sent[13:]:
        emitter.emit(ev)
    emitter.close()                     # stops the shipper and ships what is left
    got = audit.collect(wait_for=23)
    assert sorted(e["N"] for e in got) == list(range(23))
    assert emitter.flush() == 0


def test_spool_mode_packs_many_events_into_each_message(stack, audit, tmp_path, monkeypatch):
    monkeypatch.setattr(settings(), "audit_spool_dir", str(tmp_path))
    emitter = AuditEmitter(mode="spool")
    sent = [event(N=i, Pad="字" * (3000 if i % 50 == 7 else 300)) for i in range(600)]
    for ev in sent:
        emitter.spool().append(json.dumps(ev, ensure_ascii=False))
    assert emitter.flush() == 600
    sqs, bodies = aws.client("sqs"), []
    while True:
        got = sqs.receive_message(QueueUrl=audit.url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        bodies += [m["Body"] for m in got]
        sqs.delete_message_batch(QueueUrl=audit.url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    assert len(bodies) == 1                           # ~650 KB of events, packed into one
    assert len(bodies[0]) < 100_000 and bodies[0].startswith("H4sI")
    got = [json.loads(line) for line in lines_of(bodies[0])]
    assert [e["N"] for e in got] == list(range(600))


def test_events_that_do_not_compress_are_packed_into_messages_the_queue_takes(stack, audit, tmp_path, monkeypatch):
    monkeypatch.setattr(settings(), "audit_spool_dir", str(tmp_path))
    emitter = AuditEmitter(mode="spool")
    rng = random.Random(7)
    sent = [event(N=i, Noise="".join(rng.choice("0123456789abcdefghijklmnopqrstuv") for _ in range(20_000)))
            for i in range(60)]
    for ev in sent:
        emitter.spool().append(json.dumps(ev))
    assert emitter.flush() == 60
    got = audit.collect(wait_for=60)
    assert sorted(e["N"] for e in got) == list(range(60)) and got[0]["Noise"] == sent[got[0]["N"]]["Noise"]


def test_spool_left_by_a_crashed_process_is_shipped(stack, audit, tmp_path, monkeypatch):
    monkeypatch.setattr(settings(), "audit_spool_dir", str(tmp_path))
    dead_pid = 2 ** 22 + 12345          # above the default pid_max: no such process
    spool = Spool(str(tmp_path), f"audit-{dead_pid}")
    events = [event(N=i) for i in range(4)]
    for ev in events[:3]:
        spool.append(json.dumps(ev))
    spool.commit(len(json.dumps(events[0])) + 1)    # the first one had reached the queue
    spool.append(json.dumps(events[3]))
    spool.close()
    assert audit_emitter.drain_orphan_spools() == 3
    assert sorted(e["N"] for e in audit.collect(wait_for=3)) == [1, 2, 3]
    assert not os.path.exists(spool.path)


def test_outbox_schedule_runs_through_the_pump(stack, audit, outage):
    from infra.pump import Pump
    ev = event()
    outage("sqs")
    AuditEmitter(mode="sync").emit(ev)
    os.environ.pop("AWS_ENDPOINT_URL_SQS")
    aws.reset_clients()
    result = Pump(stack.app).fire("audit_outbox")
    assert result["moved"] >= 1
    assert ev["EventId"] in [e["EventId"] for e in audit.collect(wait_for=1)]


# ---- nothing one event holds stops the events behind it ----

def describe_users(acct, name):
    return tc3_request(acct, "DescribeUsers", {"Name": name}, service="dasb", version="2019-10-18")


def test_an_oversized_request_is_audited_and_does_not_stop_auditing(stack, audit, account, tmp_path, monkeypatch):
    from layers import identity
    other = identity.create_account("other")
    other = {**other, **identity.create_key(other["OwnerUin"])}
    monkeypatch.setattr(settings(), "audit_spool_dir", str(tmp_path))
    emitter = AuditEmitter(mode="spool")
    gw = Gateway(emitter=emitter)
    big = response_of(gw.handle(describe_users(account, "n" * 1_100_000)))
    after = [response_of(gw.handle(describe_users(acct, "ops")))["RequestId"] for acct in (account, other)]
    emitter.close()
    got = {e["RequestId"]: e for e in audit.collect(wait_for=3)}
    assert set(got) == {big["RequestId"], *after}
    marker = got[big["RequestId"]]["RequestParameters"]["Name"]
    assert marker.startswith("<omitted due to size: 1100000 bytes, sha256 ")
    assert emitter.flush() == 0 and os.path.getsize(emitter.spool().path) < 200_000


@pytest.fixture
def small_queue(stack, monkeypatch):
    """A queue that refuses messages over 1 KiB, standing for a queue that refuses an event for good."""
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"gz-small-{uuid.uuid4().hex[:8]}",
                           Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    monkeypatch.setattr(settings(), "audit_queue_url", url)
    from helpers import AuditQueue
    yield AuditQueue(url)
    sqs.delete_queue(QueueUrl=url)


def dead_letters() -> list:
    from layers.gateway import audit_dead_letter
    return audit_dead_letter.stored()


def test_an_event_the_queue_refuses_for_good_is_dead_lettered_and_the_rest_go_on(small_queue, tmp_path, monkeypatch):
    from layers.gateway import audit_dead_letter
    monkeypatch.setattr(settings(), "audit_spool_dir", str(tmp_path))
    before, counted = len(dead_letters()), audit_dead_letter.count()
    emitter = AuditEmitter(mode="spool")
    rng = random.Random(1)
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(4000))
    events = [event(N=0), event(N=1, Pad=noise), event(N=2)]       # N=1 does not fit, even packed
    for ev in events:
        emitter.spool().append(json.dumps(ev))
    assert emitter.flush() == 3
    assert sorted(e["N"] for e in small_queue.collect(wait_for=2)) == [0, 2]
    assert len(dead_letters()) == before + 1 and audit_dead_letter.count() == counted + 1
    from click.testing import CliRunner
    from infra.audit_cli import audit as audit_cli
    status = CliRunner().invoke(audit_cli, ["status"], catch_exceptions=False)
    assert json.loads(status.output)["deadLettered"] == before + 1
    cw = aws.client("cloudwatch")
    assert {m["MetricName"] for m in cw.list_metrics(Namespace="Guardzone/Audit")["Metrics"]} == {"EventsDeadLettered"}
    alarm = cw.describe_alarms(AlarmNames=[f"{settings().prefix}-audit-dead-lettered"])["MetricAlarms"][0]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("Guardzone/Audit", "EventsDeadLettered")
    s3 = aws.client("s3")
    kept = [json.loads(s3.get_object(Bucket=settings().archive_bucket, Key=k)["Body"].read()) for k in dead_letters()]
    assert events[1]["EventId"] in [k.get("EventId") for k in kept]
    assert emitter.flush() == 0


def test_sync_delivery_dead_letters_a_refused_event_instead_of_failing(small_queue, tmp_path, monkeypatch):
    monkeypatch.setattr(settings(), "audit_spool_dir", str(tmp_path))
    before = len(dead_letters())
    AuditEmitter(mode="sync").emit(event(Pad="p" * 4000))
    assert len(dead_letters()) == before + 1
    assert small_queue.collect() == []


def test_the_outbox_schedule_leaves_a_live_shipper_s_spool_alone(stack, audit, tmp_path, monkeypatch):
    monkeypatch.setattr(settings(), "audit_spool_dir", str(tmp_path))
    emitter = AuditEmitter(mode="spool")
    emitter._stop.set()                 # its shipper is alive but waits: the spool stays pending
    emitter.emit(event(N=1))
    assert audit_emitter.drain_orphan_spools() == 0
    assert emitter.flush() == 1
    assert [e["N"] for e in audit.collect(wait_for=1)] == [1]
    emitter.close()


def test_a_bad_orphan_spool_does_not_stop_the_others(stack, audit, tmp_path, monkeypatch):
    monkeypatch.setattr(settings(), "audit_spool_dir", str(tmp_path))
    dead = 2 ** 22 + 54321
    os.mkdir(tmp_path / f"audit-{dead}.spool")                       # unreadable as a spool
    torn = Spool(str(tmp_path), f"audit-{dead + 1}")
    torn.append(json.dumps(event(N=1)))
    os.write(torn._fd, b"\xff\xfe not an event\n")                    # what a torn write leaves
    torn.append(json.dumps(event(N=2)))
    torn.close()
    good = Spool(str(tmp_path), f"audit-{dead + 2}")
    good.append(json.dumps(event(N=3)))
    good.close()
    before = len(dead_letters())
    assert audit_emitter.drain_orphan_spools() == 3
    assert sorted(e["N"] for e in audit.collect(wait_for=3)) == [1, 2, 3]
    assert len(dead_letters()) == before + 1
    assert not os.path.exists(good.path) and not os.path.exists(torn.path)
