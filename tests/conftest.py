"""One local stack for the whole session: moto and osmem-server as child processes, the tables,
queues, buckets and index templates from infra/, and the Chalice app behind its local server."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("GZ_AUDIT_SPOOL_DIR", f"/tmp/guardzone-test-spool-{os.getpid()}")

from layers.gateway import registry  # noqa: E402

registry.register_package("fixtures.typedemo")


@pytest.fixture(scope="session")
def stack():
    from infra.local_stack import LocalStack
    s = LocalStack(port=0, run_pump=False, audit_delivery="sync").start()
    yield s
    s.stop()


@pytest.fixture
def account(stack):
    """A fresh account with a root key, so tests never share rate-limit windows or data."""
    from layers import identity
    acct = identity.create_account("test")
    key = identity.create_key(acct["OwnerUin"])
    return {**acct, **key}


@pytest.fixture
def audit(stack):
    """Reads the audit queue: .collect() returns (and removes) every event sent since the fixture started."""
    from helpers import AuditQueue
    q = AuditQueue(stack.resources["AuditQueue"]["QueueUrl"])
    q.clear()
    return q


@pytest.fixture
def sdk(stack, account):
    from helpers import common_client
    return lambda service, version, **kw: common_client(stack.endpoint, account, service, version, **kw)
