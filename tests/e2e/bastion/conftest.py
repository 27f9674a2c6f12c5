"""Fixtures of the bastion tests (the client lives in bastion_helpers.py: test modules import it
from there, because every test folder's conftest.py is a module named `conftest`)."""
import pytest

from bastion_helpers import Bastion, new_account


@pytest.fixture
def bh(stack):
    """A fresh account (generous rate limit) and its bastion client."""
    return Bastion(stack.endpoint, new_account())


@pytest.fixture
def clock(monkeypatch):
    """TOTP codes from a clock of the tests' own (ssh_support.Clock): each login a fresh time-step."""
    from layers.bastion import credentials
    from ssh_support import Clock
    c = Clock()
    monkeypatch.setattr(credentials, "now", c.now)
    return c


@pytest.fixture(scope="module")
def gateway(stack):
    """The SSH gateway on its own loop in this process, on a free port (and the H5 terminal's
    WebSocket on another), for the module's tests."""
    from infra.ssh_gateway import SshGateway
    gw = SshGateway("127.0.0.1", 0, web_port=0).start()
    yield gw
    gw.stop()


@pytest.fixture
def other(stack):
    """A second, unrelated account."""
    return Bastion(stack.endpoint, new_account())
