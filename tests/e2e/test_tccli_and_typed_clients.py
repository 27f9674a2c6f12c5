"""tccli and the SDK's typed clients against the local endpoint, with v1 and v3 signatures."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tencentcloud.cloudhsm.v20191112 import cloudhsm_client, models

from helpers import credential_of, error_code, profile

TCCLI = str(Path(sys.executable).parent / "tccli")


def tccli(stack, account, *args, secret_key=None, home=None):
    env = {**os.environ, "HOME": str(home)}
    cmd = [TCCLI, *args, "--region", "ap-guangzhou", "--endpoint", f"http://{stack.endpoint}",
           "--secretId", account["SecretId"], "--secretKey", secret_key or account["SecretKey"]]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_tccli_call_and_error(stack, account, audit, tmp_path):
    ok = tccli(stack, account, "cloudhsm", "DescribeVsms", "--Offset", "0", "--Limit", "10", home=tmp_path)
    assert ok.returncode == 0, ok.stderr + ok.stdout
    body = json.loads(ok.stdout)
    assert body["TotalCount"] == 0 and body["VsmList"] == []
    event = audit.by_request(body["RequestId"])
    assert event["EventName"] == "DescribeVsms" and event["AccountId"] == account["OwnerUin"]
    bad = tccli(stack, account, "cloudhsm", "DescribeVsms", "--Offset", "0", "--Limit", "10",
                secret_key="0" * 32, home=tmp_path)
    assert bad.returncode != 0 and "AuthFailure.SignatureFailure" in bad.stdout + bad.stderr


@pytest.mark.parametrize("sign", ["TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_typed_client_every_signature(stack, account, sign, method):
    client = cloudhsm_client.CloudhsmClient(credential_of(account), "ap-guangzhou",
                                            profile(stack.endpoint, method, sign))
    req = models.DescribeVsmsRequest()
    req.from_json_string(json.dumps({"Offset": 0, "Limit": 5, "SearchWord": "nothing"}))
    resp = client.DescribeVsms(req)
    assert resp.TotalCount == 0 and resp.RequestId


def test_typed_client_errors(stack, account):
    client = cloudhsm_client.CloudhsmClient(credential_of(account), "ap-guangzhou", profile(stack.endpoint))
    req = models.DescribeVsmAttributesRequest()
    assert error_code(client.DescribeVsmAttributes, req) == "MissingParameter"
    req.ResourceId = "vsm-doesnotexist"
    assert error_code(client.DescribeVsmAttributes, req) == "ResourceNotFound"
    wrong = cloudhsm_client.CloudhsmClient(credential_of(account, "0" * 32), "ap-guangzhou", profile(stack.endpoint))
    assert error_code(wrong.DescribeVsms, models.DescribeVsmsRequest()) == "AuthFailure.SignatureFailure"
