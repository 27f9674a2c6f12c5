"""Fixtures of the bastion tests (the client lives in bastion_helpers.py: test modules import it
from there, because every test folder's conftest.py is a module named `conftest`)."""
import pytest

from bastion_helpers import Bastion, new_account


@pytest.fixture
def bh(stack):
    """A fresh account (generous rate limit) and its bastion client."""
    return Bastion(stack.endpoint, new_account())


@pytest.fixture
def other(stack):
    """A second, unrelated account."""
    return Bastion(stack.endpoint, new_account())
