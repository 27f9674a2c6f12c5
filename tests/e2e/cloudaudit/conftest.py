"""CloudAudit end-to-end fixtures: accounts that may call fast, clients of the official SDK, and
indexing of the audit queue the gateway fills (the local pump delivering to the real handler)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "cloudaudit"))

from helpers import common_client  # noqa: E402
from infra.pump import Pump  # noqa: E402


@pytest.fixture
def index_audit_queue(stack):
    """Index everything on the audit queue now (the local stack's pump does this continuously)."""
    source = next(s for s in stack.app.event_sources if s.name == "audit_indexer")
    pump = Pump(stack.app)

    def run() -> int:
        total = 0
        while True:
            got = pump.deliver_once(source)
            if not got:
                return total
            total += got
    return run


@pytest.fixture
def client_for(stack):
    return lambda acct, service="cloudaudit", version="2019-03-04", **kw: common_client(
        stack.endpoint, acct, service, version, **kw)
