"""Input no action expects: a clear Tencent error, never InternalError, and exactly one audit event
that the queue can take; failed authentication recorded as what it is, and bounded."""
import json
import logging
import urllib.request

import pytest

from helpers import AllowAll, SpoolRecorder, response_of, tc3_request, v1_request
from layers import identity
from layers.gateway.auth_limit import AuthFailureLimiter
from layers.gateway.pipeline import Gateway
from layers.gateway.request import HttpRequest

DEMO = dict(service="typedemo", version="2020-02-02")
KMS = dict(service="kms", version="2019-01-18")


@pytest.fixture
def recorded(stack, tmp_path):
    recorder = SpoolRecorder(str(tmp_path))
    gw = Gateway(emitter=recorder, limiter=AllowAll())

    def call(req):
        resp = response_of(gw.handle(req))
        events = recorder.events()
        assert len(events) == 1, f"{len(events)} audit events for one call"
        assert events[0]["RequestId"] == resp["RequestId"]
        return resp, events[0]
    call.gateway = gw
    return call


def error_of(resp) -> str:
    assert "Error" in resp, resp
    return resp["Error"]["Code"]


# ---- lone surrogates ----

@pytest.mark.parametrize("action,params", [
    ("GenerateDataKey", {"KeyId": "00000000-0000-0000-0000-000000000000", "DataKeyName": "k\ud800"}),
    ("Decrypt", {"CiphertextBlob": "AAAA", "EncryptionAlgorithm": "\ud800"}),
])
def test_a_lone_surrogate_is_refused_before_the_action_runs_and_still_audited(recorded, account, action, params):
    body = json.dumps(params).encode()          # ensure_ascii: the \ud800 escape, as a client may send it
    resp, event = recorded(tc3_request(account, action, {}, body=body, **KMS))
    assert error_of(resp) == "InvalidParameter" and "surrogate" in resp["Error"]["Message"]
    assert event["ApiErrorCode"] == "InvalidParameter" and event["AccountId"] == account["OwnerUin"]
    assert "\ufffd" in json.dumps(event["RequestParameters"], ensure_ascii=False)


def test_a_surrogate_echoed_in_an_error_still_gets_an_envelope_and_an_event(recorded, account):
    # a transport that hands over decoded text (a Lambda event) can carry one in the action's name
    req = HttpRequest(method="GET", headers={"host": "127.0.0.1:9000"}, source_ip="127.0.0.1", query=[
        ("Action", "Describe\ud800"), ("Version", "2019-11-12"), ("Region", "ap-guangzhou"),
        ("SecretId", account["SecretId"]), ("Timestamp", "1"), ("Nonce", "1"), ("Signature", "x")])
    resp, event = recorded(req)
    assert error_of(resp) == "InvalidParameter"
    assert event["EventName"] == "Describe\ufffd" and event["ApiErrorCode"] == "InvalidParameter"


# ---- failed authentication ----

def test_a_wrong_signature_is_recorded_as_unauthenticated_not_as_the_key_owner(recorded, account):
    resp, event = recorded(tc3_request(account, "EchoTypes", {"Name": "n", "Count": 1},
                                       secret_key="not-the-key", **DEMO))
    assert error_of(resp) == "AuthFailure.SignatureFailure"
    assert event["IdentityType"] == "Unauthenticated"
    assert event["PrincipalId"] == "" and event["Username"] == ""
    assert event["SecretId"] == account["SecretId"] and event["AccountId"] == account["OwnerUin"]
    assert event["ApiErrorCode"] == "AuthFailure.SignatureFailure"


def test_the_owners_own_call_is_recorded_as_root(recorded, account):
    resp, event = recorded(tc3_request(account, "EchoTypes", {"Name": "n", "Count": 1}, **DEMO))
    assert "Error" not in resp
    assert event["IdentityType"] == "root" and event["PrincipalId"] == account["OwnerUin"]


def test_failed_authentications_are_bounded_per_address_and_claimed_key(stack, account, tmp_path):
    recorder = SpoolRecorder(str(tmp_path))
    gw = Gateway(emitter=recorder, limiter=AllowAll(), auth_limiter=AuthFailureLimiter(clock=lambda: 1000.0))
    codes = []
    for _ in range(60):
        req = tc3_request(account, "EchoTypes", {"Name": "n", "Count": 1}, secret_key="forged", **DEMO)
        req.source_ip = "198.51.100.7"
        codes.append(error_of(response_of(gw.handle(req))))
    assert codes[:20] == ["AuthFailure.SignatureFailure"] * 20
    assert set(codes[20:]) == {"RequestLimitExceeded"}
    events = recorder.events()
    assert len(events) == 60
    # only the attempts that were checked reach the key owner's trail
    assert sum(e["AccountId"] == account["OwnerUin"] for e in events) == 20
    assert all(e["IdentityType"] == "Unauthenticated" for e in events)
    # the owner, signing correctly from elsewhere, is not held back
    ok = tc3_request(account, "EchoTypes", {"Name": "n", "Count": 1}, **DEMO)
    ok.source_ip = "203.0.113.9"
    assert "Error" not in response_of(gw.handle(ok))


# ---- malformed bodies and values ----

def test_a_form_body_that_is_not_utf8_once_decoded(recorded, account, caplog):
    req = HttpRequest(method="POST", headers={"host": "127.0.0.1:9000",
                                              "content-type": "application/x-www-form-urlencoded"},
                      query=[], body=b"Action=DescribeRegions&Name=%ff", source_ip="127.0.0.1")
    gw = recorded.gateway
    with caplog.at_level(logging.ERROR, logger="guardzone"):
        resp = response_of(gw.handle(req))
    assert error_of(resp) == "InvalidParameter" and "UTF-8" in resp["Error"]["Message"]
    assert not caplog.records, "no traceback for a client's error"


@pytest.mark.parametrize("depth", [40, 10_000])
def test_json_nested_too_deep(recorded, account, depth):
    body = b'{"Name": ' + b"[" * depth + b"]" * depth + b', "Count": 1}'
    resp, event = recorded(tc3_request(account, "EchoTypes", {}, body=body, **DEMO))
    assert error_of(resp) == "InvalidParameter" and "nested" in resp["Error"]["Message"]


def test_flattened_names_nested_too_deep(recorded, account):
    params = {".".join(["A"] * 5000): "x"}
    resp, _ = recorded(tc3_request(account, "EchoTypes", params, method="GET", **DEMO))
    assert error_of(resp) == "InvalidParameter"


def multipart(account, part: bytes):
    boundary = "gzboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"Name\"\r\n"
            f"Content-Type: application/json\r\n\r\n").encode() + part + f"\r\n--{boundary}--\r\n".encode()
    return tc3_request(account, "EchoTypes", {}, body=body, content_type=f"multipart/form-data; boundary={boundary}",
                       **DEMO)


@pytest.mark.parametrize("part", [b"{not json", b"[" * 5000 + b"]" * 5000, b"1" * 5000])
def test_multipart_json_parts_that_are_not_json_or_too_deep(recorded, account, part):
    resp, _ = recorded(multipart(account, part))
    assert error_of(resp) == "InvalidParameter"


@pytest.mark.parametrize("field,value", [("Nonce", "١٢٣٤٥"), ("Nonce", "9" * 5000), ("Timestamp", "١٧٠٠٠٠٠٠٠٠"),
                                         ("Timestamp", "1" * 5000)])
def test_v1_nonce_and_timestamp_must_be_ascii_digits(recorded, account, field, value):
    req = v1_request(account, "DescribeRegions", {})
    req.query = [(k, value if k == field else v) for k, v in req.query]
    resp, _ = recorded(req)
    assert error_of(resp) == "InvalidParameter"


def test_a_path_other_than_the_root_answers_an_envelope(stack):
    req = urllib.request.Request(f"http://{stack.endpoint}/some/path", data=b"{}", method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
        body = json.loads(resp.read())
    assert body["Response"]["Error"]["Code"] == "InvalidAction" and body["Response"]["RequestId"]


def test_disabled_key_failures_are_unauthenticated(recorded, stack):
    acct = identity.create_account("disabled")
    key = identity.create_key(acct["OwnerUin"])
    identity.set_key_status(key["SecretId"], False)
    resp, event = recorded(tc3_request({**acct, **key}, "EchoTypes", {"Name": "n", "Count": 1}, **DEMO))
    assert error_of(resp) == "AuthFailure.SecretIdNotFound"
    assert event["IdentityType"] == "Unauthenticated" and event["PrincipalId"] == ""


def test_an_unhandled_error_is_logged_by_where_it_happened_not_by_its_message(recorded, account, monkeypatch, caplog):
    from layers.gateway import registry

    def boom(params, ctx):
        raise ValueError(f"invalid literal: {params.Name}")
    spec = registry.find_action(registry.service_named("typedemo"), "EchoTypes")
    monkeypatch.setattr(spec, "handler", boom)
    with caplog.at_level(logging.ERROR, logger="guardzone"):
        resp, event = recorded(tc3_request(account, "EchoTypes", {"Name": "s3cr3t-value", "Count": 1}, **DEMO))
    assert error_of(resp) == "InternalError" and event["ApiErrorCode"] == "InternalError"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "unhandled error in typedemo:EchoTypes" in logged and "ValueError" in logged and "in boom" in logged
    assert "s3cr3t-value" not in logged
