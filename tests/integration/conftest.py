"""Session fixtures of the integration tests: the deploy template, built once (`chalice package`
takes ~15 s), used by test_packaging.py and test_deploy_template.py."""
import json
import os

import pytest

from infra import package

from deploy_support import PARAMETERS, ROOT  # noqa: F401 (the fixtures and tests share them)


@pytest.fixture(scope="session")
def deploy_build(tmp_path_factory):
    """(folder, SAM template): folder/chalice/ is Chalice's own output, folder/sam.json ours."""
    out = tmp_path_factory.mktemp("deploy")
    code = package.main(["--prefix", "guardzone", "--out", str(out)])
    assert code == 0
    return out, json.loads((out / "sam.json").read_text("utf-8"))


@pytest.fixture(scope="session")
def deployed_cfn(deploy_build):
    """The SAM template translated to plain CloudFormation (aws-sam-translator, in process), as
    `aws cloudformation package` + the stack's transform would."""
    from samtranslator.translator.transform import transform
    template = json.loads(json.dumps(deploy_build[1]))
    for r in template["Resources"].values():
        if r["Type"] == "AWS::Serverless::Function":
            r["Properties"]["CodeUri"] = "s3://deploy-bucket/guardzone/deployment.zip"   # what `package` uploads

    class NoManagedPolicies:
        def load(self):
            return {}
    old = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    try:
        return transform(template, dict(PARAMETERS), NoManagedPolicies())
    finally:
        if old is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = old
