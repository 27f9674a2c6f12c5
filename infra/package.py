"""The deploy template: `make package` (python -m infra.package) writes build/deploy/sam.json and
build/deploy/deployment.zip, everything the code needs in one stack (docs/deploy.md).

1. `chalice package --merge-template infra/resources.json`: the functions, their roles (one per
   function, from .chalice/policy-*.json), the API, and the tables, queues and buckets.
2. infra/deploy.json is merged in: the KMS root key, the OpenSearch domain, the bastion gateway
   (Fargate service behind a network load balancer), bucket policies, parameters, outputs, and the
   GZ_* settings of every function (SAM Globals) and of the gateway task.
3. Wiring no file can state statically: deployed bucket names carry the account and region (S3's
   names are global), each SQS event source names its queue by GetAtt (so the queue exists
   first), the OpenSearch access policy lists exactly the functions' roles and the gateway's, the
   gateway task role takes infra/policy-gateway-task.json, and ResourcePrefix is pinned to the
   prefix the functions were packaged with (their queue subscriptions are fixed at package time).
"""
import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "infra" / "resources.json"
DEPLOY = ROOT / "infra" / "deploy.json"
GATEWAY_POLICY = ROOT / "infra" / "policy-gateway-task.json"
POLICY_PREFIX = "guardzone"       # the prefix the policy files are written for (infra/aws_calls.py PREFIX)
DEFAULT_OUT = ROOT / "build" / "deploy"
# Deployed S3 bucket names: <prefix>-<name>-<account>-<region>.
_BUCKET_SUFFIX = "-${AWS::AccountId}-${AWS::Region}"


def chalice_package(out: Path, prefix: str, stage: str = "dev") -> dict:
    """Run `chalice package` into out/chalice; returns its sam.json."""
    target = out / "chalice"
    shutil.rmtree(target, ignore_errors=True)
    env = {**os.environ, "GZ_RESOURCE_PREFIX": prefix}
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    chalice = Path(sys.executable).parent / "chalice"
    run = subprocess.run([str(chalice), "package", "--stage", stage, "--merge-template", str(RESOURCES),
                          str(target)], cwd=ROOT, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"chalice package failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    return json.loads((target / "sam.json").read_text("utf-8"))


def _sub_text(value) -> str:
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"]
    return ""


def functions(template: dict) -> Dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def _role_of(function: dict) -> str:
    role = function["Properties"].get("Role")
    if isinstance(role, dict) and "Fn::GetAtt" in role:
        return role["Fn::GetAtt"][0]
    return ""


def _gateway_policy(prefix: str) -> dict:
    if GATEWAY_POLICY.exists():
        return _renamed(json.loads(GATEWAY_POLICY.read_text("utf-8")), prefix)
    raise SystemExit(f"{GATEWAY_POLICY.relative_to(ROOT)} is missing: the gateway task role's policy")


# The policy files (infra/aws_calls.py) name the resources of the default prefix; a stack packaged
# with another one gets the same rights on its own tables, queues, buckets and search domain.
_NAMED = [(r"(:table/){p}-", r"\g<1>{q}-"), (r"(:sqs:[^:]*:[^:]*:){p}-", r"\g<1>{q}-"),
          (r"(:s3:::){p}-", r"\g<1>{q}-"), (r"(:domain/){p}/", r"\g<1>{q}/")]


def _renamed(doc, prefix: str):
    if prefix == POLICY_PREFIX:
        return doc
    if isinstance(doc, dict):
        return {k: _renamed(v, prefix) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_renamed(v, prefix) for v in doc]
    if isinstance(doc, str) and doc.startswith("arn:"):
        for pattern, replacement in _NAMED:
            doc = re.sub(pattern.format(p=re.escape(POLICY_PREFIX)), replacement.format(q=prefix), doc)
    elif isinstance(doc, str) and doc == f"alias/{POLICY_PREFIX}-root":     # the root key's alias condition
        doc = f"alias/{prefix}-root"
    return doc


def build(chalice_template: dict, prefix: str) -> dict:
    """The deploy template from Chalice's (pure: no files written)."""
    t = copy.deepcopy(chalice_template)
    extra = json.loads(DEPLOY.read_text("utf-8"))
    resources = t["Resources"]
    for section in ("Parameters", "Conditions", "Resources", "Outputs"):
        clash = set(t.get(section, {})) & set(extra.get(section, {}))
        if clash:
            raise SystemExit(f"infra/deploy.json redefines {section} {sorted(clash)}")
        t.setdefault(section, {}).update(extra.get(section, {}))
    t["Globals"] = extra["Globals"]
    # A regional API: the custom domain (ApiDomainName) that gives the SDK its root path is regional.
    resources["RestAPI"]["Properties"]["EndpointConfiguration"] = "REGIONAL"
    globals_env = extra["Globals"]["Function"]["Environment"]["Variables"]

    # The prefix the queue subscriptions were packaged with is the only one the stack accepts.
    t["Parameters"]["ResourcePrefix"].update({"Default": prefix, "AllowedValues": [prefix]})

    # Buckets: globally unique deployed names.
    for logical, r in resources.items():
        if r["Type"] == "AWS::S3::Bucket":
            name = _sub_text(r["Properties"].get("BucketName"))
            if name and _BUCKET_SUFFIX not in name:
                r["Properties"]["BucketName"] = {"Fn::Sub": name + _BUCKET_SUFFIX}

    # Queues by their packaged names.
    queues = {}
    for logical, r in resources.items():
        if r["Type"] == "AWS::SQS::Queue":
            queues[_sub_text(r["Properties"]["QueueName"]).replace("${ResourcePrefix}", prefix)] = logical

    for r in resources.values():          # the functions' roles, from the policy files
        if r["Type"] == "AWS::IAM::Role":
            r["Properties"]["Policies"] = _renamed(r["Properties"].get("Policies", []), prefix)

    roles: List[str] = []
    for name, fn in functions(t).items():
        props = fn["Properties"]
        variables = props.get("Environment", {}).get("Variables", {})
        for key in globals_env:
            variables.pop(key, None)          # the template's (Globals) value wins over config.json's
        if not variables:
            props.pop("Environment", None)
        for event in props.get("Events", {}).values():
            if event.get("Type") != "SQS":
                continue
            arn = _sub_text(event["Properties"]["Queue"])
            queue_name = arn.rsplit(":", 1)[-1]
            if queue_name not in queues:
                raise SystemExit(f"function {name} reads queue {queue_name}, which infra/resources.json does not define")
            event["Properties"]["Queue"] = {"Fn::GetAtt": [queues[queue_name], "Arn"]}
        role = _role_of(fn)
        if role and role not in roles:
            roles.append(role)
    if not roles:
        raise SystemExit("no function role found in Chalice's template")

    # OpenSearch: only the functions' roles and the gateway's, each request SigV4-signed.
    principals = [{"Fn::GetAtt": [r, "Arn"]} for r in roles + ["GatewayTaskRole"]]
    resources["SearchDomain"]["Properties"]["AccessPolicies"] = {"Version": "2012-10-17", "Statement": [{
        "Sid": "FunctionsAndGateway", "Effect": "Allow", "Principal": {"AWS": principals},
        "Action": ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:es:${AWS::Region}:${AWS::AccountId}:domain/${ResourcePrefix}/*"}}]}

    # Gateway responses belong in the API's definition: API Gateway overwrites an API from its
    # Body on every update, which would drop a separate AWS::ApiGateway::GatewayResponse.
    body = resources["RestAPI"]["Properties"]["DefinitionBody"]
    for logical in [k for k, r in resources.items() if r["Type"] == "AWS::ApiGateway::GatewayResponse"]:
        p = resources.pop(logical)["Properties"]
        body.setdefault("x-amazon-apigateway-gateway-responses", {})[p["ResponseType"]] = {
            "statusCode": p["StatusCode"], "responseParameters": p.get("ResponseParameters", {}),
            "responseTemplates": p.get("ResponseTemplates", {})}

    resources["GatewayTaskRole"]["Properties"]["Policies"] = [
        {"PolicyName": "gateway-task", "PolicyDocument": _gateway_policy(prefix)}]
    return t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Write the deploy template (SAM) and the functions' zip")
    ap.add_argument("--prefix", default=os.environ.get("GZ_RESOURCE_PREFIX") or "guardzone",
                    help="GZ_RESOURCE_PREFIX: names every table, queue, bucket and the domain")
    ap.add_argument("--stage", default="dev", help="the Chalice stage (.chalice/config.json)")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    args = ap.parse_args(argv)
    if not re.fullmatch(r"[a-z][a-z0-9-]{2,27}", args.prefix):
        raise SystemExit("the prefix must be 3-28 characters of a-z, 0-9 and -, starting with a letter "
                         "(it names the OpenSearch domain and the buckets)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    template = build(chalice_package(out, args.prefix, args.stage), args.prefix)
    shutil.copyfile(out / "chalice" / "deployment.zip", out / "deployment.zip")
    (out / "sam.json").write_text(json.dumps(template, indent=2) + "\n", "utf-8")
    print(out / "sam.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
