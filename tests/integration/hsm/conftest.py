"""PKCS#11 fixtures: the built library, an account with one VSM (its own network), and a config file
that points the library at the local stack (the PIN is the account's SecretKey)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hsm_support import new_tenant  # noqa: E402


@pytest.fixture(scope="session")
def hsm_lib() -> str:
    from layers.hsm_native.build import ensure_built
    return str(ensure_built())


@pytest.fixture(scope="module")
def tenant(stack, hsm_lib, tmp_path_factory):
    return new_tenant(stack, tmp_path_factory.mktemp("p11"), "a")


@pytest.fixture
def conf_env(monkeypatch):
    def use(conf: Path):
        monkeypatch.setenv("GUARDZONE_PKCS11_CONF", str(conf))
    return use
