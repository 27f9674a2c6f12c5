"""The sample events under events/ drive the app's functions through infra.invoke."""
import json
from pathlib import Path

from infra import invoke

EVENTS = Path(__file__).resolve().parents[2] / "events"


def test_every_sample_event_is_json():
    for path in EVENTS.glob("*.json"):
        json.loads(path.read_text("utf-8"))
    assert not (EVENTS / "__init__.py").exists()


def test_api_sample_answers_with_an_envelope(stack, capsys):
    assert invoke.main(["api", str(EVENTS / "api_describe_regions_unsigned.json")]) == 0
    result = json.loads(capsys.readouterr().out)
    body = json.loads(result["body"])["Response"]
    # The sample is unsigned on purpose: the gateway answers with the API's error, not a crash.
    assert result["statusCode"] == 200 and body["Error"]["Code"] == "MissingParameter"


def test_schedule_sample_runs_the_outbox(stack, capsys):
    assert invoke.main(["audit_outbox", str(EVENTS / "schedule_audit_outbox.json")]) == 0
    assert "moved" in json.loads(capsys.readouterr().out)


def test_unknown_function(stack, capsys):
    assert invoke.main(["nope", str(EVENTS / "schedule_audit_outbox.json")]) == 2
