"""Accounts, users and keys in DynamoDB, and the `guardzone` command that manages them."""
import json
import time

import pytest
from click.testing import CliRunner

from infra.cli import main as cli
from layers import identity
from layers.gateway.errors import ApiError


def test_account_has_a_root_user_with_full_policy(stack):
    acct = identity.create_account("acme")
    key = identity.create_key(acct["OwnerUin"])
    cred = identity.load_credential(key["SecretId"])
    assert cred.owner_uin == cred.uin == acct["OwnerUin"] and cred.app_id == acct["AppId"]
    assert cred.policy == ("*",) and cred.enabled and not cred.temporary
    assert identity.SECRET_ID.match(key["SecretId"]) and len(key["SecretKey"]) == 32


def test_at_most_two_permanent_keys_per_user(stack):
    acct = identity.create_account("two-keys")
    identity.create_key(acct["OwnerUin"])
    identity.create_key(acct["OwnerUin"])
    with pytest.raises(ApiError) as exc:
        identity.create_key(acct["OwnerUin"])
    assert exc.value.code == "LimitExceeded"
    temporary = identity.create_key(acct["OwnerUin"], temporary=True)   # temporary keys do not count
    assert temporary["Token"]


def test_duplicate_account_and_unknown_user(stack):
    acct = identity.create_account("dup")
    with pytest.raises(ApiError) as exc:
        identity.create_account("dup", owner_uin=acct["OwnerUin"])
    assert exc.value.code == "FailedOperation.DuplicateData"
    with pytest.raises(ApiError) as exc:
        identity.create_key("999")
    assert exc.value.code == "ResourceNotFound"


def test_cli_creates_account_user_and_key(stack):
    runner = CliRunner()
    out = runner.invoke(cli, ["account", "create", "--name", "cli", "--rate-limit", "40"])
    assert out.exit_code == 0, out.output
    acct = json.loads(out.output)
    assert acct["SecretId"].startswith("AKID") and acct["SecretKey"]
    out = runner.invoke(cli, ["user", "create", "--account", acct["OwnerUin"], "--name", "ops",
                              "--policy", "cloudhsm:Describe*", "--policy", "dasb:*"])
    user = json.loads(out.output)
    assert user["Policy"] == ["cloudhsm:Describe*", "dasb:*"]
    out = runner.invoke(cli, ["key", "create", "--uin", user["Uin"], "--temporary", "--ttl", "60"])
    key = json.loads(out.output)
    assert key["Token"] and identity.load_credential(key["SecretId"]).temporary
    out = runner.invoke(cli, ["key", "disable", key["SecretId"]])
    assert out.exit_code == 0 and not identity.load_credential(key["SecretId"]).enabled
    out = runner.invoke(cli, ["key", "create", "--uin", "404"])
    assert out.exit_code == 2 and "ResourceNotFound" in out.output


def test_a_busy_key_is_reloaded_in_the_background_and_a_disabled_one_stops_within_the_cache_time(stack):
    acct = identity.create_account("cache")
    key = identity.create_key(acct["OwnerUin"])
    clock, loads = [1000.0], []

    def loader(secret_id):
        loads.append(clock[0])
        return identity.load_credential(secret_id)

    cache = identity.CredentialCache(clock=lambda: clock[0], loader=loader)
    ttl = identity.settings().credential_cache_seconds
    assert cache.get(key["SecretId"]).enabled and loads == [1000.0]
    clock[0] += ttl * 0.5
    assert cache.get(key["SecretId"]) and loads == [1000.0]                 # fresh: served from memory
    clock[0] = 1000.0 + ttl * 0.9
    assert cache.get(key["SecretId"]).enabled                               # still served at once ...
    deadline = time.monotonic() + 10
    while len(loads) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert loads == [1000.0, 1000.0 + ttl * 0.9]                            # ... and reloaded behind it
    time.sleep(0.1)
    clock[0] = 1000.0 + ttl * 1.5                                           # past the first load's time
    assert cache.get(key["SecretId"]) and len(loads) == 2                   # the reload keeps it valid
    # a disabled key: the cache serves it no longer than the cache time after it was last read
    identity.set_key_status(key["SecretId"], enabled=False)
    clock[0] = 1000.0 + ttl * 0.9 + ttl + 0.001
    assert not cache.get(key["SecretId"]).enabled
