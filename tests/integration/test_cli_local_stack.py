"""The README's `guardzone` commands as written: only GZ_AWS_ENDPOINT (and GZ_OPENSEARCH_URL for
`audit`) exported, no AWS credentials or region anywhere. A loopback endpoint then gets the local
stack's dummy keys (layers/aws.py); any other endpoint keeps the usual credential chain."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from layers import aws, identity

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("guardzone")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "infra.cli"]


@pytest.fixture
def no_aws_env(stack, tmp_path):
    """A shell with nothing of AWS in it (not even ~/.aws), as on a fresh machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(GZ_AWS_ENDPOINT=stack.moto.url, GZ_SEARCH_DIR=stack.search_dir, GZ_OPENSEARCH_URL="",
               GZ_AUDIT_SPOOL_DIR=str(tmp_path / "spool"),
               AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_CONFIG_FILE="/nonexistent")
    return env


def _guardzone(env, *args) -> str:
    out = subprocess.run(COMMAND + list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_the_readme_commands_work_with_only_the_endpoint_exported(no_aws_env):
    acct = json.loads(_guardzone(no_aws_env, "account", "create", "--name", "acme"))
    assert acct["SecretId"].startswith("AKID") and acct["SecretKey"]
    user = json.loads(_guardzone(no_aws_env, "user", "create", "--account", acct["OwnerUin"], "--name", "ops",
                                 "--policy", "cloudhsm:Describe*", "--policy", "dasb:*"))
    assert user["Policy"] == ["cloudhsm:Describe*", "dasb:*"]
    key = json.loads(_guardzone(no_aws_env, "key", "create", "--uin", user["Uin"], "--temporary", "--ttl", "600"))
    assert key["Token"]
    # written to the stack's own tables: this process (with its own keys) reads them
    assert identity.load_credential(key["SecretId"]).uin == user["Uin"]
    assert identity.load_credential(acct["SecretId"]).owner_uin == acct["OwnerUin"]
    assert isinstance(json.loads(_guardzone(no_aws_env, "drain-outbox"))["moved"], int)
    assert "redrive" in _guardzone(no_aws_env, "audit", "--help")
    status = json.loads(_guardzone(no_aws_env, "audit", "status"))
    assert status["queues"] and all("visible" in q for q in status["queues"].values()), status["queues"]


@pytest.fixture
def no_credentials(monkeypatch):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    aws._credentials_for.cache_clear()
    yield
    aws._credentials_for.cache_clear()


def _access_key(endpoint):
    return aws._credentials_for(endpoint).get("aws_access_key_id")


def test_dummy_keys_only_for_a_loopback_endpoint_without_credentials(no_credentials, monkeypatch):
    for endpoint in ("http://127.0.0.1:5000", "http://localhost:5000", "http://[::1]:5000"):
        assert _access_key(endpoint) == "local"
    for endpoint in (None, "", "https://sqs.ap-east-1.amazonaws.com", "http://10.0.0.5:5000"):
        assert _access_key(endpoint) is None         # deployed or remote: the credential chain alone
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real")
    aws._credentials_for.cache_clear()
    assert _access_key("http://127.0.0.1:5000") is None      # credentials found: used as they are
