"""Authentication, authorization and routing through the in-process gateway, against moto.
Each failure is checked for its exact code and for the audit event it leaves."""
import json
import time

import pytest

from helpers import response_of, tc3_request, v1_request
from layers import identity
from layers.gateway.http import gateway
from layers.gateway.pipeline import Gateway
from layers.gateway.request import HttpRequest

DEMO = dict(service="typedemo", version="2020-02-02")
OK = {"Name": "n", "Count": 1}


def call(req):
    return response_of(gateway().handle(req))


def code(req):
    resp = call(req)
    assert "Error" in resp, resp
    return resp["Error"]["Code"]


def test_a_valid_tc3_post_reaches_the_handler_with_its_account(account, audit):
    resp = call(tc3_request(account, "EchoTypes", {**OK, "Password": "hunter2"}, **DEMO))
    assert resp["Received"] == {"Name": "n", "Count": 1} and resp["Account"] == account["OwnerUin"]
    event = audit.by_request(resp["RequestId"])
    assert event["EventName"] == "EchoTypes" and event["AccountId"] == account["OwnerUin"]
    assert event["RequestParameters"]["Password"] == "******"
    assert "hunter2" not in json.dumps(event) and account["SecretKey"] not in json.dumps(event)
    assert event["ResourceName"] == "n" and event["ResourceType"] == "echo" and event["ErrorCode"] == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("sign_method", ["HmacSHA1", "HmacSHA256"])
def test_v1_get_and_form_post(account, method, sign_method):
    resp = call(v1_request(account, "EchoTypes", {**OK, "IdSet": [3, 4]}, version="2020-02-02",
                           method=method, sign_method=sign_method))
    assert resp["Received"]["IdSet"] == [3, 4]


def test_v1_signed_with_sha1_is_refused_when_it_claims_sha256(account):
    req = v1_request(account, "EchoTypes", OK, version="2020-02-02")
    req.query.append(("SignatureMethod", "HmacSHA256"))
    assert code(req) == "AuthFailure.SignatureFailure"


def test_tc3_get_with_flattened_parameters(account):
    resp = call(tc3_request(account, "EchoTypes", {**OK, "Tags": [{"TagKey": "k"}]}, method="GET", **DEMO))
    assert resp["Received"]["Tags"] == [{"TagKey": "k"}]


def test_multipart_post_verifies(account):
    boundary = "0123456789abcdef"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"Name\"\r\n\r\nmp\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"Count\"\r\nContent-Type: application/json\r\n\r\n7\r\n"
            f"--{boundary}--\r\n").encode()
    resp = call(tc3_request(account, "EchoTypes", {}, body=body,
                            content_type=f"multipart/form-data; boundary={boundary}", **DEMO))
    assert resp["Received"] == {"Name": "mp", "Count": 7}


@pytest.mark.parametrize("mutate,expected", [
    (lambda r: r.update(secret_key="wrong"), "AuthFailure.SignatureFailure"),
    (lambda r: r.update(timestamp=int(time.time()) - 301), "AuthFailure.SignatureExpire"),
    (lambda r: r.update(timestamp=int(time.time()) + 400), "AuthFailure.SignatureExpire"),
    (lambda r: r.update(scope_date="2001-01-01"), "AuthFailure.SignatureFailure"),
    (lambda r: r.update(scope_service="cloudhsm", host="typedemo.tencentcloudapi.com"), "AuthFailure.SignatureFailure"),
])
def test_tc3_failures(account, audit, mutate, expected):
    kwargs = dict(DEMO)
    mutate(kwargs)
    req = tc3_request(account, "EchoTypes", OK, **kwargs)
    resp = call(req)
    assert resp["Error"]["Code"] == expected
    event = audit.by_request(resp["RequestId"])
    assert event["ApiErrorCode"] == expected and event["ErrorCode"] == 1


def test_body_changed_after_signing_fails(account):
    req = tc3_request(account, "EchoTypes", OK, **DEMO)
    req.body = json.dumps({**OK, "Count": 2}).encode()
    assert code(req) == "AuthFailure.SignatureFailure"


def test_unknown_and_malformed_secret_ids(account, audit):
    ghost = {**account, "SecretId": "AKID" + "x" * 32}
    resp = call(tc3_request(ghost, "EchoTypes", OK, **DEMO))
    assert resp["Error"]["Code"] == "AuthFailure.SecretIdNotFound"
    assert audit.by_request(resp["RequestId"])["AccountId"] == ""
    bad = {**account, "SecretId": "not-a-key"}
    assert code(tc3_request(bad, "EchoTypes", OK, **DEMO)) == "AuthFailure.InvalidSecretId"


def test_disabled_key_is_not_found(stack):
    acct = identity.create_account("disabled")
    key = identity.create_key(acct["OwnerUin"])
    identity.set_key_status(key["SecretId"], False)
    assert code(tc3_request({**acct, **key}, "EchoTypes", OK, **DEMO)) == "AuthFailure.SecretIdNotFound"


def test_temporary_keys_need_their_token(stack):
    acct = identity.create_account("temp")
    tmp = identity.create_key(acct["OwnerUin"], temporary=True, ttl_seconds=600)
    creds = {**acct, **tmp}
    assert "Received" in call(tc3_request(creds, "EchoTypes", OK, token=tmp["Token"], **DEMO))
    assert code(tc3_request(creds, "EchoTypes", OK, **DEMO)) == "AuthFailure.TokenFailure"
    assert code(tc3_request(creds, "EchoTypes", OK, token="forged", **DEMO)) == "AuthFailure.TokenFailure"
    expired = identity.create_key(acct["OwnerUin"], temporary=True, ttl_seconds=-1)
    assert code(tc3_request({**acct, **expired}, "EchoTypes", OK, token=expired["Token"], **DEMO)) == \
        "AuthFailure.TokenFailure"


def test_permanent_key_with_a_token_is_refused(account):
    assert code(tc3_request(account, "EchoTypes", OK, token="t", **DEMO)) == "AuthFailure.TokenFailure"


def test_v1_nonce_replay_is_refused(account, audit):
    first = v1_request(account, "EchoTypes", OK, version="2020-02-02", nonce=424242)
    assert "Received" in call(first)
    replay = HttpRequest(method=first.method, headers=first.headers, query=list(first.query))
    resp = call(replay)
    assert resp["Error"]["Code"] == "AuthFailure.SignatureFailure" and "replay" in resp["Error"]["Message"]
    assert audit.by_request(resp["RequestId"])["ApiErrorCode"] == "AuthFailure.SignatureFailure"


def test_v1_expired_timestamp(account):
    req = v1_request(account, "EchoTypes", OK, version="2020-02-02", timestamp=int(time.time()) - 1000)
    assert code(req) == "AuthFailure.SignatureExpire"


def test_v1_missing_nonce(account):
    resp = call(v1_request(account, "EchoTypes", OK, version="2020-02-02", nonce=None))
    assert resp["Error"]["Code"] == "MissingParameter" and "`Nonce`" in resp["Error"]["Message"]


@pytest.mark.parametrize("kwargs,expected", [
    (dict(version="1999-01-01"), "NoSuchVersion"),
    (dict(version="2019-11-12"), "NoSuchVersion"),        # a cloudhsm version for typedemo
])
def test_versions(account, kwargs, expected):
    assert code(tc3_request(account, "EchoTypes", OK, service="typedemo", **kwargs)) == expected


def test_unknown_action_and_service(account, audit):
    resp = call(tc3_request(account, "DescribeNothing", {}, **DEMO))
    assert resp["Error"]["Code"] == "InvalidAction"
    assert audit.by_request(resp["RequestId"])["EventName"] == "DescribeNothing"
    assert code(tc3_request(account, "DescribeInstances", {}, service="cvm", version="2017-03-12")) == "InvalidAction"


def test_v1_service_from_version(account):
    assert code(v1_request(account, "EchoTypes", OK, version="2000-01-01")) == "NoSuchVersion"


def test_other_http_methods_are_unsupported(account, audit):
    req = tc3_request(account, "EchoTypes", OK, **DEMO)
    req.method = "PUT"
    resp = call(req)
    assert resp["Error"]["Code"] == "UnsupportedProtocol"
    assert audit.by_request(resp["RequestId"])["EventName"] == "EchoTypes"


def test_region_rules(account):
    assert code(tc3_request(account, "EchoTypes", OK, region="mars-1", **DEMO)) == "UnsupportedRegion"
    assert "Received" in call(tc3_request(account, "EchoTypes", OK, region=None, **DEMO))
    # cloudhsm's DescribeRegions needs a region; typedemo's DescribeSignatureOnly ignores it.
    assert code(tc3_request(account, "DescribeRegions", {}, region=None)) == "MissingParameter"
    assert "Uin" in call(tc3_request(account, "DescribeSignatureOnly", {}, region="mars-1", **DEMO))


def test_policy_and_signature_only_actions(stack):
    acct = identity.create_account("policy")
    reader = identity.create_user(acct["OwnerUin"], "reader", policy=["cloudhsm:Describe*"])
    key = identity.create_key(reader["Uin"])
    creds = {**acct, **key}
    assert "Regions" in call(tc3_request(creds, "DescribeRegions", {}))
    assert code(tc3_request(creds, "EchoTypes", OK, **DEMO)) == "AuthFailure.UnauthorizedOperation"
    assert call(tc3_request(creds, "DescribeSignatureOnly", {}, **DEMO))["Uin"] == reader["Uin"]


def test_alias_policy_patterns(stack):
    acct = identity.create_account("alias")
    user = identity.create_user(acct["OwnerUin"], "u", policy=["dasb:*"])
    from layers.gateway.pipeline import policy_allows
    from layers.gateway.registry import service_named
    creds = identity.load_credential(identity.create_key(user["Uin"])["SecretId"])
    assert policy_allows(creds.policy, service_named("bhsaas"), "DescribeUsers")
    assert not policy_allows(creds.policy, service_named("cloudhsm"), "DescribeVsms")


@pytest.mark.parametrize("content_type,expected", [
    ("text/plain", "InvalidParameter"),
    ("application/xml", "InvalidParameter"),
])
def test_wrong_content_type(account, content_type, expected):
    req = tc3_request(account, "EchoTypes", OK, content_type=content_type, **DEMO)
    assert code(req) == expected


def test_malformed_json_and_non_utf8_after_a_valid_signature(account):
    bad_json = tc3_request(account, "EchoTypes", {}, body=b'{"Name": ', **DEMO)
    resp = call(bad_json)
    assert resp["Error"]["Code"] == "InvalidParameter" and "JSON" in resp["Error"]["Message"]
    latin = tc3_request(account, "EchoTypes", {}, body='{"Name": "caf\u00e9"}'.encode("latin-1"), **DEMO)
    assert code(latin) == "InvalidParameter"


def test_size_limits(account):
    big = {"Name": "n", "Count": 1, "Password": "x" * (10 * 1024 * 1024)}
    assert code(tc3_request(account, "EchoTypes", big, **DEMO)) == "InvalidParameter"
    get = tc3_request(account, "EchoTypes", {"Name": "n", "Count": 1, "Password": "x" * 33000}, method="GET", **DEMO)
    assert code(get) == "InvalidParameter"
    v1 = v1_request(account, "EchoTypes", {"Name": "n", "Count": 1, "Password": "x" * (1024 * 1024)},
                    version="2020-02-02", method="POST")
    assert code(v1) == "InvalidParameter"


def test_missing_and_mistyped_parameters_are_audited(account, audit):
    resp = call(tc3_request(account, "EchoTypes", {"Name": "n"}, **DEMO))
    assert resp["Error"] == {"Code": "MissingParameter", "Message": "The parameter `Count` is required."}
    assert audit.by_request(resp["RequestId"])["ApiErrorCode"] == "MissingParameter"
    resp = call(tc3_request(account, "EchoTypes", {"Name": "n", "Count": "many"}, **DEMO))
    assert resp["Error"]["Code"] == "InvalidParameter" and "`Count`" in resp["Error"]["Message"]


def test_unsigned_requests(stack):
    req = HttpRequest(method="POST", headers={"content-type": "application/json", "host": "h",
                                              "x-tc-action": "EchoTypes"}, query=[], body=b"{}")
    assert code(req) == "MissingParameter"
    req = HttpRequest(method="POST", headers={"content-type": "application/json", "host": "h",
                                              "authorization": "Basic abc"}, query=[], body=b"{}")
    assert code(req) == "AuthFailure.SignatureFailure"


def test_request_ids_are_unique(account):
    ids = {call(tc3_request(account, "EchoTypes", OK, **DEMO))["RequestId"] for _ in range(5)}
    assert len(ids) == 5


def test_clock_is_the_servers(account):
    late = Gateway(clock=lambda: time.time() + 3600)
    assert response_of(late.handle(tc3_request(account, "EchoTypes", OK, **DEMO)))["Error"]["Code"] == \
        "AuthFailure.SignatureExpire"
