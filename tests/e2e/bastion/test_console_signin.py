"""The console's bastion sign-in (POST /console/signin/bastion): password + TOTP through the
bastion's login checks give a temporary key scoped to operators, used with the typed SDK;
refusals answer the bastion's reasons and count as login failures."""
import json
import time
import urllib.error
import urllib.request
import uuid

import pyotp
from tencentcloud.cloudaudit.v20190319 import cloudaudit_client, models as ca_models
from tencentcloud.common import credential

from bastion_helpers import Bastion
from helpers import error_code, profile
from layers import identity
from layers.bastion import login

PASSWORD = "c0nsole-pass"


def post(stack, body) -> tuple:
    req = urllib.request.Request(f"http://{stack.endpoint}/console/signin/bastion", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req) as got:
            return got.status, json.loads(got.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_password_and_totp_give_an_operator_key(stack, account):
    bh = Bastion(stack.endpoint, account)
    name = f"op{uuid.uuid4().hex[:8]}"
    bh.call("CreateUser", UserName=name, RealName="Op", Phone="13800000000")
    code = login.issue_activation_code(account["OwnerUin"], name)
    totp = pyotp.TOTP(login.begin_activation(account["OwnerUin"], name, code).totp_secret)
    login.finish_activation(account["OwnerUin"], name, code, PASSWORD, totp.now())
    who = {"OwnerUin": account["OwnerUin"], "UserName": name}

    status, wrong = post(stack, {**who, "Password": "not-it-123", "Code": "000000"})
    assert status == 401 and wrong["Error"]["Code"] == "AuthFailure.bad_password"
    status, missing = post(stack, {**who, "Password": PASSWORD})
    assert status == 400 and missing["Error"]["Code"] == "MissingParameter"

    # the activation used the current step: the next one (within the one-step drift) signs in
    next_code = totp.at(int(time.time()) + 30)
    status, ok = post(stack, {**who, "Password": PASSWORD, "Code": next_code})
    assert status == 200, ok
    c = ok["Credentials"]
    assert ok["UserName"] == name and ok["OwnerUin"] == account["OwnerUin"] and ok["ExpiredTime"] > 0
    cred = identity.load_credential(c["TmpSecretId"])
    assert cred.temporary and cred.bastion_user == name and cred.key_policy == tuple(ok["Scope"])
    # operators' scope: the hosts they may reach and terminal tickets; not the account's users,
    # devices or recordings, not the bastion's writes, not CloudAudit
    op = Bastion(stack.endpoint, {"SecretId": c["TmpSecretId"], "SecretKey": c["TmpSecretKey"], "Token": c["Token"]})
    assert isinstance(op.call("DescribeAccessibleDevices")["TotalCount"], int)
    for read in ("DescribeUsers", "DescribeDevices", "DescribeAcls"):
        assert error_code(op.call, read) == "AuthFailure.UnauthorizedOperation", read
    assert error_code(op.call, "CreateUser", UserName="x" + name, RealName="X", Phone="13800000000") == \
        "AuthFailure.UnauthorizedOperation"
    temp = credential.Credential(c["TmpSecretId"], c["TmpSecretKey"], c["Token"])
    ca = cloudaudit_client.CloudauditClient(temp, "ap-guangzhou", profile(stack.endpoint))
    assert error_code(ca.DescribeAuditTracks, ca_models.DescribeAuditTracksRequest()) == \
        "AuthFailure.UnauthorizedOperation"
    # a TOTP step is accepted once
    status, again = post(stack, {**who, "Password": PASSWORD, "Code": next_code})
    assert status == 401 and again["Error"]["Code"] == "AuthFailure.bad_totp"
