"""Audit events reach the queue even when the queue, or the queue and the outbox table, are down."""
import json
import os
import uuid

import pytest

from helpers import response_of, tc3_request
from layers import aws
from layers.config import settings
from layers.gateway import audit_emitter
from layers.gateway.audit_emitter import AuditEmitter, Spool, drain_outbox
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
