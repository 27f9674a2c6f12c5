"""CloudAudit integration fixtures (helpers in ca_support.py)."""
import json
import uuid
from types import SimpleNamespace

import pytest

from ca_support import Delivery, OwnOsmem
from layers import aws
from layers.audit.config import reload_audit_settings


@pytest.fixture
def fast_retry(monkeypatch):
    """Failed messages come straight back (no backoff), so tests can re-deliver at once."""
    monkeypatch.setenv("GZ_AUDIT_RETRY_BASE_SECONDS", "0")
    reload_audit_settings()
    yield
    monkeypatch.delenv("GZ_AUDIT_RETRY_BASE_SECONDS")
    reload_audit_settings()


@pytest.fixture
def own_archive(stack, monkeypatch):
    """This test's own archive prefix in the archive bucket."""
    monkeypatch.setenv("GZ_AUDIT_ARCHIVE_PREFIX", f"test-{uuid.uuid4().hex[:12]}")
    reload_audit_settings()
    yield
    monkeypatch.delenv("GZ_AUDIT_ARCHIVE_PREFIX")
    reload_audit_settings()


@pytest.fixture
def osmem(stack):
    own = OwnOsmem()
    yield own
    own.thaw()
    own.stop()


@pytest.fixture
def queue(stack):
    """A throwaway audit queue with its own dead-letter queue (maxReceiveCount 3)."""
    sqs = aws.client("sqs")
    name = f"ca-test-{uuid.uuid4().hex[:10]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "30",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})})["QueueUrl"]
    yield SimpleNamespace(name=name, url=url, dlq_url=dlq)
    sqs.delete_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=dlq)


@pytest.fixture
def deliver(stack):
    return lambda queue_name, handler="audit_indexer": Delivery(stack, queue_name, handler)


@pytest.fixture
def use_store(monkeypatch):
    """Point the app's handlers at a given store."""
    def apply(store):
        import functions.events.audit_indexer as indexer_fn
        import functions.events.audit_export as export_fn
        monkeypatch.setattr(indexer_fn, "default_store", lambda: store)
        monkeypatch.setattr(export_fn, "default_store", lambda: store)
    return apply
