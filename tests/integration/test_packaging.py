"""What `chalice package` deploys: functions/ and layers/ inside the zip (through vendor/'s
symlinks), and the tables/queues/buckets of infra/resources.json inside the template."""
import json
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_chalice_package_contains_the_code_and_the_resources(deploy_build):
    out = deploy_build[0] / "chalice"          # `chalice package --merge-template infra/resources.json`
    names = set(zipfile.ZipFile(out / "deployment.zip").namelist())
    for required in ("app.py", "functions/__init__.py", "functions/cloudhsm/describe_regions.py",
                     "functions/cloudhsm/data/regions.json", "functions/events/audit_outbox.py",
                     "layers/gateway/pipeline.py", "layers/identity.py", "pydantic/__init__.py"):
        assert required in names, required
    assert not any(n.startswith(("tests/", "infra/", ".venv/")) for n in names)
    template = json.loads((out / "sam.json").read_text())
    ours = json.loads((ROOT / "infra" / "resources.json").read_text())["Resources"]
    for logical, spec in ours.items():
        assert template["Resources"][logical]["Type"] == spec["Type"]
    assert any(r["Type"] == "AWS::Serverless::Function" and
               r["Properties"]["Handler"] == "app.app" for r in template["Resources"].values())
    # unknown paths answer the Tencent envelope: the gateway response names the API Chalice deploys
    unknown = template["Resources"]["ApiUnknownPathResponse"]["Properties"]
    assert template["Resources"][unknown["RestApiId"]["Ref"]]["Type"] == "AWS::Serverless::Api"
    assert json.loads(unknown["ResponseTemplates"]["application/json"])["Response"]["Error"]["Code"] == "InvalidAction"
    schedules = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
                 and any(e.get("Type") == "Schedule" for e in r["Properties"].get("Events", {}).values())]
    assert schedules, "the audit outbox schedule is deployed"
