"""sts GetFederationToken through the official SDK's typed clients: a temporary key narrowed by the
policy given (and by the caller's own), used with other typed clients, refused once expired."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from tencentcloud.cloudaudit.v20190319 import cloudaudit_client, models as ca_models
from tencentcloud.cloudhsm.v20191112 import cloudhsm_client, models as hsm_models
from tencentcloud.common import credential
from tencentcloud.sts.v20180813 import models, sts_client

from helpers import credential_of, error_code, profile
from layers import identity

TCCLI = str(Path(sys.executable).parent / "tccli")


def policy(*statements) -> str:
    return quote(json.dumps({"version": "2.0", "statement": list(statements)}))


def allow(*actions):
    return {"effect": "allow", "action": list(actions), "resource": "*"}


def federation(stack, acct, name="console", pol=None, seconds=None):
    client = sts_client.StsClient(credential_of(acct), "ap-guangzhou", profile(stack.endpoint))
    req = models.GetFederationTokenRequest()
    req.Name, req.Policy = name, pol if pol is not None else policy(allow("cloudaudit:*"))
    if seconds is not None:
        req.DurationSeconds = seconds
    return client, req


def temp_cred(resp) -> credential.Credential:
    c = resp.Credentials
    return credential.Credential(c.TmpSecretId, c.TmpSecretKey, c.Token)


def lookup_request():
    req = ca_models.LookUpEventsRequest()
    now = int(time.time())
    req.StartTime, req.EndTime, req.MaxResults = now - 600, now + 60, 10
    return req


@pytest.fixture(scope="module")
def short_lived(stack):
    """A one-second key, issued first so it has expired by the time the expiry test runs."""
    acct = identity.create_account("sts-short")
    acct.update(identity.create_key(acct["OwnerUin"]))
    client, req = federation(stack, acct, seconds=1)
    return client.GetFederationToken(req)


def test_federation_token_is_a_typed_temporary_key(stack, account, audit):
    client, req = federation(stack, account, pol=policy(allow("cloudaudit:*", "sts:GetFederationToken")), seconds=900)
    started = int(time.time())
    resp = client.GetFederationToken(req)
    c = resp.Credentials
    assert c.TmpSecretId.startswith("AKID") and c.TmpSecretId != account["SecretId"]
    assert isinstance(c.TmpSecretKey, str) and len(c.TmpSecretKey) >= 32 and isinstance(c.Token, str) and c.Token
    assert isinstance(resp.ExpiredTime, int) and started + 900 <= resp.ExpiredTime <= int(time.time()) + 900
    assert resp.Expiration == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(resp.ExpiredTime))
    # the temporary key with another typed client: the same account's trail, allowed by the policy
    ca = cloudaudit_client.CloudauditClient(temp_cred(resp), "ap-guangzhou", profile(stack.endpoint))
    assert ca.LookUpEvents(lookup_request()).RequestId
    events = audit.collect(wait_for=2)
    issued = next(e for e in events if e["EventName"] == "GetFederationToken")
    used = next(e for e in events if e["EventName"] == "LookUpEvents")
    assert used["SecretId"] == c.TmpSecretId and used["AccountId"] == account["OwnerUin"]
    assert c.TmpSecretKey not in json.dumps(issued) and c.Token not in json.dumps(issued)
    # outside the policy: even a signature-only action ("只验签名不鉴权") is refused to this key
    hsm = cloudhsm_client.CloudhsmClient(temp_cred(resp), "ap-guangzhou", profile(stack.endpoint))
    assert error_code(hsm.DescribeVsms, hsm_models.DescribeVsmsRequest()) == "AuthFailure.UnauthorizedOperation"
    # without its token, or with another key's token
    no_token = credential.Credential(c.TmpSecretId, c.TmpSecretKey)
    ca_bare = cloudaudit_client.CloudauditClient(no_token, "ap-guangzhou", profile(stack.endpoint))
    assert error_code(ca_bare.LookUpEvents, lookup_request()) == "AuthFailure.TokenFailure"
    # a temporary key cannot extend itself
    again = sts_client.StsClient(temp_cred(resp), "ap-guangzhou", profile(stack.endpoint))
    assert error_code(again.GetFederationToken, req) == "FailedOperation.TempKeyNotAllowed"


def test_policy_is_intersected_with_the_callers(stack, account):
    user = identity.create_user(account["OwnerUin"], "auditor", policy=["cloudaudit:LookUp*", "sts:*"])
    key = {**identity.create_key(user["Uin"])}
    client, req = federation(stack, key, pol=policy(allow("*"), {"effect": "deny", "action": ["cloudaudit:LookUpEvents"],
                                                                 "resource": "*"}))
    resp = client.GetFederationToken(req)
    ca = cloudaudit_client.CloudauditClient(temp_cred(resp), "ap-guangzhou", profile(stack.endpoint))
    assert error_code(ca.LookUpEvents, lookup_request()) == "AuthFailure.UnauthorizedOperation"          # denied by the key
    assert error_code(ca.DescribeAuditTracks, ca_models.DescribeAuditTracksRequest()) == \
        "AuthFailure.UnauthorizedOperation"                                                        # not the user's
    client, req = federation(stack, key, pol=policy(allow("cloudaudit:*")))
    ca = cloudaudit_client.CloudauditClient(temp_cred(client.GetFederationToken(req)), "ap-guangzhou",
                                            profile(stack.endpoint))
    assert ca.LookUpEvents(lookup_request()).RequestId
    # a sub-user may ask for up to 129600 s, the root user for 7200 s
    _, long = federation(stack, key, seconds=129600)
    assert client.GetFederationToken(long).ExpiredTime >= int(time.time()) + 129000


@pytest.mark.parametrize("field,value,code", [
    ("Policy", "not json", "InvalidParameter.StrategyFormatError"),
    ("Policy", policy({"effect": "allow", "action": ["cloudaudit:*"], "resource": ["qcs::cloudaudit::uin/1:track/x"]}),
     "InvalidParameter.ResouceError"),
    ("Policy", policy({"effect": "allow", "action": ["cloudaudit:*"], "resource": "*",
                       "principal": {"qcs": ["qcs::cam::uin/1:root"]}}), "InvalidParameter.StrategyInvalid"),
    ("Policy", quote("x" * 5000), "InvalidParameter.PolicyTooLong"),
    ("DurationSeconds", 7201, "InvalidParameter.OverTimeError"),
    ("DurationSeconds", 0, "InvalidParameter.OverTimeError"),
    ("Name", "bad name!", "InvalidParameter.ParamError"),
])
def test_bad_requests_use_the_sdk_codes(stack, account, field, value, code):
    client, req = federation(stack, account)
    setattr(req, field, value)
    assert error_code(client.GetFederationToken, req) == code


def test_expired_key_is_refused(stack, short_lived):
    time.sleep(max(0.0, short_lived.ExpiredTime - time.time() + 0.05))
    ca = cloudaudit_client.CloudauditClient(temp_cred(short_lived), "ap-guangzhou", profile(stack.endpoint))
    assert error_code(ca.LookUpEvents, lookup_request()) == "AuthFailure.TokenFailure"


def test_tccli_get_federation_token(stack, account, tmp_path):
    cmd = [TCCLI, "sts", "GetFederationToken", "--Name", "cli", "--Policy", policy(allow("cloudaudit:*")),
           "--DurationSeconds", "600", "--region", "ap-guangzhou", "--endpoint", f"http://{stack.endpoint}",
           "--secretId", account["SecretId"], "--secretKey", account["SecretKey"]]
    done = subprocess.run(cmd, env={**os.environ, "HOME": str(tmp_path)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    body = json.loads(done.stdout)
    assert body["Credentials"]["TmpSecretId"].startswith("AKID") and body["ExpiredTime"] > time.time()
