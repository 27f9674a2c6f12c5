"""Least privilege, checked both ways against the code: every AWS call a deployed function's code can
make (infra/aws_calls.py reads it) is in the table infra/aws_calls.json and allowed by that function's
policy, and each policy allows exactly what the table lists (granted rows), nothing more."""
import ast
import fnmatch
import json
from pathlib import Path

import pytest

from infra import aws_calls, iam_policies

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def table():
    return json.loads(aws_calls.TABLE.read_text("utf-8"))


def _allowed(policy: dict, action: str, resource: str) -> bool:
    for st in policy["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if st["Effect"] == "Allow" and any(fnmatch.fnmatchcase(action, a) for a in actions) \
                and any(fnmatch.fnmatchcase(resource, r) for r in resources):
            return True
    return False


def test_the_scan_follows_every_client():
    scan = aws_calls.scan()
    assert scan.unfollowed == []
    assert scan.unknown_ops == []
    # a module making clients has calls, or hands its clients to a scanned function that has them
    passed = {key.rsplit(".", 1)[0] for (key, _) in scan.params}
    for module, calls in scan.calls.items():
        if 'aws.client("' in aws_calls._file(module).read_text("utf-8") and not calls:
            assert passed - {module}, module


def test_units_are_the_functions_chalice_deploys():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["dev"]
    import app
    names = {"api_handler"} | {f.name for f in _event_functions(app.app)}
    assert names == set(aws_calls.UNITS) - {"gateway_task"}
    assert config["autogen_policy"] is False and "iam_policy_file" not in config
    for name in names:
        entry = config["lambda_functions"][name]
        assert entry["iam_policy_file"] == f"policy-{name}.json"
        assert (ROOT / ".chalice" / entry["iam_policy_file"]).exists()


def _event_functions(chalice_app):
    return [f for f in chalice_app.pure_lambda_functions] + [
        type("F", (), {"name": s.name}) for s in chalice_app.event_sources]


def test_table_is_what_the_code_calls(table):
    """Both ways: the table's (service, operation) rows per function are exactly the scan's."""
    for unit in aws_calls.UNITS:
        scanned = {f"{svc}.{op}" for (svc, op) in aws_calls.calls_of(unit)}
        listed = {f"{r['service']}.{r['operation']}" for r in table[unit] if not r["operation"].startswith("(")}
        assert listed - scanned == set(), f"{unit}: in the table, not in the code"
        assert scanned - listed == set(), f"{unit}: in the code, not in the table: run python -m infra.aws_calls"
    assert table == json.loads(json.dumps(iam_policies.table_all()))


def test_each_policy_allows_exactly_the_table(table):
    for unit, rows in table.items():
        policy = json.loads(iam_policies.policy_path(unit).read_text("utf-8"))
        assert policy == iam_policies.policy(rows), f"{unit}: policy file differs from the table"
        granted = {(a, r) for row in rows if row.get("granted", True) for a in row["iam"] for r in row["resources"]}
        for action, resource in granted:
            assert _allowed(policy, action, resource), f"{unit}: {action} on {resource} not allowed"
        for row in rows:
            if row.get("granted", True) is False:
                for a in row["iam"]:
                    assert not any(_allowed(policy, a, r) for r in row["resources"]), f"{unit}: {a} allowed"
        # nothing else: every (action, resource) a statement names is one of the table's granted pairs
        for st in policy["Statement"]:
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            for action in st["Action"]:
                assert "*" not in action, f"{unit}: wildcard action {action}"
                for resource in resources:
                    assert (action, resource) in granted, f"{unit}: {action} on {resource} is not in the table"


def test_wildcards_are_explained_and_no_function_may_make_keys(table):
    for unit, rows in table.items():
        for row in rows:
            if any(r in iam_policies.WHY for r in row["resources"]):
                assert row.get("wildcard"), (unit, row)
            if row.get("granted", True):
                assert not set(row["iam"]) & {"kms:CreateKey", "kms:CreateAlias", "kms:ScheduleKeyDeletion",
                                              "iam:PassRole"}, (unit, row)


def test_a_new_call_is_caught(tmp_path, monkeypatch):
    """The scan is not blind: a call added to a helper module reaches the table check."""
    scan = aws_calls._Scan(["layers.audit.archive"]).run()
    assert ("s3", "put_bucket_lifecycle_configuration") in scan.calls["layers.audit.archive"]
    assert ("s3", "list_objects_v2") in scan.calls["layers.audit.archive"]     # via get_paginator
