"""`guardzone audit …` (infra/audit_cli.py) and the scheduled retention function."""
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ca_support import make_event, new_account, now_ms
from infra.audit_cli import audit
from infra.pump import Pump
from layers import aws
from layers.audit import indices
from layers.audit.archive import Archive
from layers.audit.indexer import Indexer, Message
from layers.audit.document import family
from layers.audit.writer import store_events
from layers.search.default import default_store
from layers.search.query import Search
from layers.config import reload_settings, settings

ROOT = Path(__file__).resolve().parents[3]


def _run(*args):
    result = CliRunner().invoke(audit, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_status_redrive_and_read_only(stack, osmem, monkeypatch):
    sqs = aws.client("sqs")
    dlq = sqs.get_queue_url(QueueName=f"{settings().prefix}-audit-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(make_event(new_account(), now_ms())))
    status = _run("status")
    assert status["queues"][f"{settings().prefix}-audit-dlq"]["visible"] >= 1
    assert all(name.startswith("traillog_server_log-") for name in status["indices"])
    moved = _run("redrive")["moved"]
    assert moved >= 1 and _run("status")["queues"][f"{settings().prefix}-audit-dlq"]["visible"] == 0
    refused = CliRunner().invoke(audit, ["read-only", "on"])    # the embedded store has no such block
    assert refused.exit_code != 0 and "OpenSearch" in refused.output
    monkeypatch.setenv("GZ_OPENSEARCH_URL", osmem.svc.url)
    reload_settings()
    try:
        assert _run("read-only", "on") == {"read_only_allow_delete": True}
    finally:
        assert _run("read-only", "off") == {"read_only_allow_delete": False}
        monkeypatch.delenv("GZ_OPENSEARCH_URL")
        reload_settings()
    assert _run("drain")["messages"] >= 1        # the re-driven event, indexed in this process


def test_rebuild_retention_lifecycle_and_templates(stack, own_archive):
    account = new_account()
    event = make_event(account, now_ms())
    Indexer(default_store()).process([Message("1", json.dumps(event))])
    day = indices.day_of(event["EventTime"])
    assert day.isoformat() in _run("archived-days")
    [rebuilt] = _run("rebuild", "--day", day.isoformat())
    assert rebuilt["index"] == indices.index_for("traillog_server_log", event["EventTime"]) and rebuilt["stored"] >= 1
    assert "traillog_server_log" in _run("templates")["installed"]
    assert _run("lifecycle", "--days", "500")["rule"]["Expiration"] == {"Days": 500}
    old = make_event(account, now_ms() - 800 * 86_400_000)
    store_events(default_store(), [old], "traillog_server_log")
    assert indices.index_for("traillog_server_log", old["EventTime"]) in _run("retention")["dropped"]


def test_the_retention_schedule_drops_old_indices_and_sets_the_archive_lifecycle(stack):
    old = make_event(new_account(), now_ms() - 366 * 86_400_000)
    store_events(default_store(), [old], "traillog_server_log")
    result = Pump(stack.app).fire("audit_retention")
    assert indices.index_for("traillog_server_log", old["EventTime"]) in result["dropped"] and result["archiveExpirationDays"] == 3 * 365
    rules = aws.client("s3").get_bucket_lifecycle_configuration(Bucket=settings().archive_bucket)["Rules"]
    assert any(r["ID"] == "cloudaudit-archive-expiry" for r in rules)


def test_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "infra.audit_cli", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "redrive" in out.stdout and "rebuild" in out.stdout


def test_the_sample_sqs_batch_drives_the_indexer(stack, capsys, own_archive):
    from infra import invoke
    assert invoke.main(["audit_indexer", str(ROOT / "events" / "sqs_audit_batch.json")]) == 0
    assert json.loads(capsys.readouterr().out) == {"indexed": 1}
    found = [h for h in default_store().search(Search(family("traillog_server_log"), "100000000001", 0, now_ms(),
                                                      size=1000)).hits if h.id == "8f14e45fceea167a5a36dedd4bea2543"]
    assert len(found) == 1


def test_a_store_another_process_writes_is_a_clear_error_not_a_traceback(stack, tmp_path, own_archive):
    from layers.search.embedded import EmbeddedStore
    holder = EmbeddedStore(str(tmp_path / "search"))          # as the running stack holds it
    event = make_event(new_account(), now_ms())
    Indexer(holder).process([Message("1", json.dumps(event))])    # into the store and the archive
    Archive().put([make_event(event["AccountId"], event["EventTime"] + 1)])      # and one only archived
    day = indices.day_of(event["EventTime"]).isoformat()
    env = {**os.environ, "GZ_SEARCH_DIR": str(tmp_path / "search"), "GZ_OPENSEARCH_URL": "",
           "GZ_AWS_ENDPOINT": stack.moto.url}
    for args in (["rebuild", "--day", day], ["rebuild", "--day", day, "--fresh"]):
        script = ("from click.testing import CliRunner; from infra.audit_cli import audit\n"
                  f"r = CliRunner().invoke(audit, {args!r})\nprint(r.exit_code); print(r.output)")
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120).stdout
        code, _, text = out.partition("\n")
        assert code == "1" and "another process is writing it" in text and "Traceback" not in text, out
    assert [h.id for h in holder.search(Search(family("traillog_server_log"), event["AccountId"], 0, now_ms(),
                                               size=10)).hits] == [event["EventId"]]     # untouched
    holder.close()
