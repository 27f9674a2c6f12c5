"""The deploy template (make package) without an AWS account: cfn-lint clean, translated by
aws-sam-translator, every GZ_* setting the code reads set from the resource it names (or a safe
default with its reason in infra/deploy_env.json), every resource as the data needs it, and no
checkov finding without a reason in infra/checkov_skips.json."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from deploy_support import PARAMETERS, ROOT

pytestmark = pytest.mark.slow
ENV_DEFAULTS = json.loads((ROOT / "infra" / "deploy_env.json").read_text("utf-8"))
SKIPS = json.loads((ROOT / "infra" / "checkov_skips.json").read_text("utf-8"))
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
_SETTING = re.compile(r"""["'](GZ_[A-Z0-9_]*[A-Z0-9])["']""")


def settings_read() -> set:
    """Every GZ_* name the deployed code (functions, layers, app.py, the gateway) reads."""
    files = [ROOT / "app.py", ROOT / "infra" / "ssh_gateway.py"]
    files += [p for d in ("layers", "functions") for p in (ROOT / d).rglob("*.py")]
    return {m for f in files for m in _SETTING.findall(f.read_text("utf-8"))}


def of_type(template: dict, kind: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def gateway_env(template: dict) -> dict:
    (container,) = template["Resources"]["GatewayTaskDefinition"]["Properties"]["ContainerDefinitions"]
    return {e["Name"]: e["Value"] for e in container["Environment"]}


def test_cfn_lint_is_clean_on_the_packaged_template(deploy_build):
    """As `aws cloudformation package` leaves it (the code's zip in S3); cfn-lint translates the
    SAM resources itself and checks what they become."""
    from cfnlint.api import lint_all
    packaged = json.loads(json.dumps(deploy_build[1]))
    for r in of_type(packaged, "AWS::Serverless::Function").values():
        r["Properties"]["CodeUri"] = "s3://deploy-bucket/guardzone/deployment.zip"
    # errors and warnings, as the cfn-lint command reports by default (not informational I*)
    found = [m for m in lint_all(json.dumps(packaged, indent=1)) if m.rule.id[0] in "EW"]
    assert not found, "\n".join(f"{m.rule.id} {m.message} (line {m.linenumber})" for m in found)


def test_sam_translates_and_every_queue_consumer_depends_on_its_queue(deployed_cfn):
    functions = of_type(deployed_cfn, "AWS::Lambda::Function")
    assert len(functions) >= 10 and "APIHandler" in functions
    # unknown paths answer the Tencent envelope, from the API's own definition
    body = deployed_cfn["Resources"]["RestAPI"]["Properties"]["Body"]
    missing = body["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]
    assert json.loads(missing["responseTemplates"]["application/json"])["Response"]["Error"]["Code"] == "InvalidAction"
    queues = of_type(deployed_cfn, "AWS::SQS::Queue")
    mappings = of_type(deployed_cfn, "AWS::Lambda::EventSourceMapping")
    assert mappings
    for name, m in mappings.items():
        source = m["Properties"]["EventSourceArn"]
        assert source.get("Fn::GetAtt", [None])[0] in queues, (name, source)


def test_every_setting_the_code_reads_is_set_for_every_function_and_the_gateway(deployed_cfn):
    read = settings_read()
    assert {"GZ_RESOURCE_PREFIX", "GZ_OPENSEARCH_URL", "GZ_KMS_ROOT_KEY"} <= read
    consumers = {name: f["Properties"].get("Environment", {}).get("Variables", {})
                 for name, f in of_type(deployed_cfn, "AWS::Lambda::Function").items()}
    consumers["gateway task"] = gateway_env(deployed_cfn)
    for name, env in consumers.items():
        missing = sorted(read - set(env) - set(ENV_DEFAULTS))
        assert not missing, f"{name} reads {missing}: set them in infra/deploy.json or explain the default in infra/deploy_env.json"
    stale = sorted(set(ENV_DEFAULTS) - {"_about"} - read)
    assert not stale, f"infra/deploy_env.json explains settings no code reads: {stale}"
    everywhere = set.intersection(*(set(env) for env in consumers.values()))
    assert not (everywhere & set(ENV_DEFAULTS)), "a setting set everywhere needs no default's reason"


def test_each_setting_comes_from_the_resource_it_names(deploy_build, deployed_cfn):
    env = gateway_env(deployed_cfn)
    api_env = deployed_cfn["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    for variables in (env, api_env):
        assert variables["GZ_OPENSEARCH_URL"] == {"Fn::Sub": "https://${SearchDomain.DomainEndpoint}"}
        assert variables["GZ_OPENSEARCH_AUTH"] == "sigv4"
        assert variables["GZ_KMS_ROOT_KEY"] == {"Fn::GetAtt": ["RootKey", "Arn"]}
        assert variables["GZ_ARCHIVE_BUCKET"] == {"Ref": "ArchiveBucket"}
        assert variables["GZ_RECORDINGS_BUCKET"] == {"Ref": "RecordingsBucket"}
        assert variables["GZ_AUDIT_QUEUE_URL"] == {"Ref": "AuditQueue"}
        assert variables["GZ_RESOURCE_PREFIX"] == {"Ref": "ResourcePrefix"}
    assert env["GZ_SSH_PORT"] == {"Ref": "SshPort"} and env["GZ_MYSQL_PORT"] == {"Ref": "DbProxyPort"}
    # The names the code derives from the prefix are the template's (tables, queues).
    from layers.audit.config import AuditSettings
    from layers.bastion import config as bastion_config
    from layers.config import Settings
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("GZ_")}
    os.environ["GZ_RESOURCE_PREFIX"] = "guardzone"
    try:
        from layers.config import reload_settings
        base, audit = reload_settings(), AuditSettings()
        named = {base.identity_table, base.control_table, base.audit_outbox_table, audit.export_table,
                 audit.track_table, audit.track_delivery_table, bastion_config.table()}
        queues = {base.audit_queue, audit.dead_letter_queue, audit.export_queue, audit.track_delivery_queue,
                  bastion_config.asset_sync_queue(), bastion_config.session_log_queue()}
        buckets = {base.archive_bucket, base.recordings_bucket}
        assert isinstance(base, Settings)
    finally:
        os.environ.pop("GZ_RESOURCE_PREFIX", None)
        os.environ.update(saved)
        reload_settings()
    sub = lambda v: v["Fn::Sub"].replace("${ResourcePrefix}", "guardzone").replace("-${AWS::AccountId}-${AWS::Region}", "")
    _, sam = deploy_build
    assert named <= {sub(r["Properties"]["TableName"]) for r in of_type(sam, "AWS::DynamoDB::Table").values()}
    assert queues <= {sub(r["Properties"]["QueueName"]) for r in of_type(sam, "AWS::SQS::Queue").values()}
    assert buckets == {sub(r["Properties"]["BucketName"]) for r in of_type(sam, "AWS::S3::Bucket").values()}
    # The domain admits exactly the functions' roles and the gateway task's.
    principals = deployed_cfn["Resources"]["SearchDomain"]["Properties"]["AccessPolicies"]["Statement"][0]["Principal"]["AWS"]
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in of_type(deployed_cfn, "AWS::Lambda::Function").values()}
    assert {p["Fn::GetAtt"][0] for p in principals} == roles | {"GatewayTaskRole"}


def test_data_resources_are_kept_encrypted_and_recoverable(deployed_cfn):
    tables = of_type(deployed_cfn, "AWS::DynamoDB::Table")
    for name, t in tables.items():
        p = t["Properties"]
        assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name
        assert p["SSESpecification"]["SSEEnabled"] is True, name
        assert t["DeletionPolicy"] == "Retain", name
    ttl = {n for n, t in tables.items() if t["Properties"].get("TimeToLiveSpecification", {}).get("Enabled")}
    assert {"ControlTable", "AuditTrackDeliveryTable"} <= ttl    # nonces; delivered-source claims
    queues = of_type(deployed_cfn, "AWS::SQS::Queue")
    dead_letter = {q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                   for q in queues.values() if "RedrivePolicy" in q["Properties"]}
    for name, q in queues.items():
        assert q["Properties"]["SqsManagedSseEnabled"] is True, name
        assert name in dead_letter or "RedrivePolicy" in q["Properties"], f"{name} has no dead-letter queue"
    for name, b in of_type(deployed_cfn, "AWS::S3::Bucket").items():
        p = b["Properties"]
        assert all(p["PublicAccessBlockConfiguration"].values()), name
        assert p["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
        assert p["VersioningConfiguration"]["Status"] == "Enabled", name
        assert b["DeletionPolicy"] == "Retain", name
    archive_rules = {r["Id"]: r for r in deployed_cfn["Resources"]["ArchiveBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    from layers.audit.archive import LIFECYCLE_RULE_ID
    assert archive_rules[LIFECYCLE_RULE_ID]["ExpirationInDays"] == {"Ref": "AuditArchiveDays"}
    key = deployed_cfn["Resources"]["RootKey"]
    assert key["DeletionPolicy"] == "Retain" and key["Properties"]["EnableKeyRotation"] is True
    alias = deployed_cfn["Resources"]["RootKeyAlias"]["Properties"]["AliasName"]
    assert alias == {"Fn::Sub": "alias/${ResourcePrefix}-root"}


def test_the_gateway_runs_on_fargate_behind_the_load_balancer(deployed_cfn):
    r = deployed_cfn["Resources"]
    service = r["GatewayService"]["Properties"]
    assert service["LaunchType"] == "FARGATE"
    ports = {lb["ContainerPort"]["Ref"] for lb in service["LoadBalancers"]}
    assert ports == {"SshPort", "DbProxyPort", "WebTerminalPort"}
    listeners = {l["Properties"]["Port"]["Ref"] for l in of_type(deployed_cfn, "AWS::ElasticLoadBalancingV2::Listener").values()}
    assert listeners == ports
    assert deployed_cfn["Parameters"]["SshPort"]["Default"] == 8322
    assert deployed_cfn["Parameters"]["DbProxyPort"]["Default"] == 8323
    assert deployed_cfn["Parameters"]["WebTerminalPort"]["Default"] == 8324
    task = r["GatewayTaskDefinition"]["Properties"]
    assert task["ContainerDefinitions"][0]["Image"] == {"Ref": "GatewayImageUri"}
    assert task["TaskRoleArn"] == {"Fn::GetAtt": ["GatewayTaskRole", "Arn"]}
    assert r["GatewayTaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    dockerfile = (ROOT / "infra" / "ssh_gateway.Dockerfile").read_text("utf-8")
    assert "infra.ssh_gateway" in dockerfile and "EXPOSE 8322 8323" in dockerfile


def test_checkov_leaves_no_finding_unexplained(deploy_build):
    if not CHECKOV.exists():
        pytest.skip("checkov is not installed: `make test` makes .venv-checkov (it cannot share the project's venv)")
    folder, _ = deploy_build
    run = subprocess.run([str(CHECKOV), "-f", str(folder / "sam.json"), "--framework", "cloudformation",
                          "-o", "json", "--quiet", "--compact"], capture_output=True, text=True, timeout=120)
    report = json.loads(run.stdout)
    report = report[0] if isinstance(report, list) else report
    found = {}
    for f in report["results"]["failed_checks"]:
        found.setdefault(f["check_id"], set()).add(f["resource"].split(".")[-1])
    unexplained = []
    for check, resources in sorted(found.items()):
        skip = SKIPS.get(check)
        if skip is None or (skip["resources"] != "*" and not resources <= set(skip["resources"])):
            unexplained.append(f"{check} on {sorted(resources)}")
    assert not unexplained, "checkov findings without a reason in infra/checkov_skips.json: " + "; ".join(unexplained)
    closed = sorted(set(SKIPS) - {"_about"} - set(found))
    assert not closed, f"infra/checkov_skips.json explains findings that no longer occur: {closed}"


def test_a_deployed_store_signs_its_requests_and_the_root_key_is_the_one_named(monkeypatch):
    """GZ_OPENSEARCH_AUTH=sigv4: every OpenSearch request carries a SigV4 signature of the role's
    credentials; GZ_KMS_ROOT_KEY: the key store uses that key without asking KMS for (or making) one."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self):
            seen.append(dict(self.headers))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"acknowledged": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    from layers.config import reload_settings
    from layers.search import default
    from layers.search.families import all_families
    monkeypatch.setenv("GZ_OPENSEARCH_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("GZ_OPENSEARCH_AUTH", "sigv4")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("GZ_KMS_ROOT_KEY", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    monkeypatch.setenv("GZ_AWS_ENDPOINT", "http://127.0.0.1:9")     # nothing listens: KMS must not be asked
    try:
        reload_settings()
        store = default._open(reload_settings().opensearch_url, "")
        store.install(all_families()[:1])
        assert seen and seen[0]["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        assert "/us-east-1/es/aws4_request" in seen[0]["Authorization"]
        from layers.keystore import root
        assert root.key_arn() == os.environ["GZ_KMS_ROOT_KEY"]
    finally:
        server.shutdown()
        monkeypatch.undo()
        reload_settings()


def test_a_stack_with_another_prefix_gets_the_same_rights_on_its_own_resources(deploy_build):
    """The policy files name the default prefix's resources; packaging for another prefix (which
    also packages Chalice's functions for it) renames them in every role."""
    from infra import package
    template = deploy_build[1]
    policies = [r["Properties"].get("Policies", []) for r in template["Resources"].values()
                if r["Type"] == "AWS::IAM::Role"]
    mine = re.findall(r'"(arn:[^"]+)"', json.dumps(policies))
    theirs = re.findall(r'"(arn:[^"]+)"', json.dumps(package._renamed(policies, "acme")))
    assert len(mine) == len(theirs) and any(":table/guardzone-keystore" in a for a in mine)
    assert not any(re.search(r"(:table/|:s3:::|:sqs:\*:\*:)guardzone-|:domain/guardzone/", a) for a in theirs)
    assert any(":table/acme-keystore" in a for a in theirs) and any(":domain/acme/" in a for a in theirs)
    assert any(":sqs:*:*:acme-audit" in a for a in theirs) and any(":s3:::acme-archive-" in a for a in theirs)
    assert any(a.startswith("arn:aws:logs:") and "guardzone-" in a for a in theirs)    # function names keep the app's
    gateway = json.dumps(package._gateway_policy("acme"))
    assert "table/acme-bastion" in gateway and "guardzone-" not in gateway
