"""CloudHSM fixtures: typed and common SDK clients, and a fresh network per test (hsm_helpers)."""
import pytest

from hsm_helpers import REGION, Common, Network, Typed, make_network


@pytest.fixture
def ec2(stack):
    from layers import aws
    return aws.client("ec2", REGION)


@pytest.fixture
def typed(stack, account):
    return Typed(stack.endpoint, account)


@pytest.fixture
def common(stack, account):
    return Common(stack.endpoint, account)


@pytest.fixture
def network(ec2, account) -> Network:
    return make_network(ec2, account["OwnerUin"])
