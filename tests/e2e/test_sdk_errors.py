"""The official SDK over HTTP: each failure gets its exact code, and each call, failed or not,
leaves one event on the audit queue."""
import time

import pytest
from tencentcloud.common import abstract_client
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from helpers import common_client

DEMO = ("typedemo", "2020-02-02")
OK = {"Name": "n", "Count": 1}


def failure(client, action, params):
    with pytest.raises(TencentCloudSDKException) as exc:
        client.call_json(action, params)
    return exc.value


class _FrozenTime:
    def __init__(self, at: float) -> None:
        self.at = at

    def time(self) -> float:
        return self.at


class _FixedRandom:
    @staticmethod
    def randint(a, b):
        return 777777


@pytest.mark.parametrize("sign", ["TC3-HMAC-SHA256", "HmacSHA1"])
def test_wrong_key(stack, account, audit, sign):
    client = common_client(stack.endpoint, account, *DEMO, sign=sign, secret_key="0" * 32)
    err = failure(client, "EchoTypes", OK)
    assert err.code == "AuthFailure.SignatureFailure"
    assert audit.by_request(err.requestId)["ApiErrorCode"] == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("sign", ["TC3-HMAC-SHA256", "HmacSHA256"])
def test_expired_timestamp(stack, account, audit, sign, monkeypatch):
    monkeypatch.setattr(abstract_client, "time", _FrozenTime(time.time() - 600))
    err = failure(common_client(stack.endpoint, account, *DEMO, sign=sign), "EchoTypes", OK)
    assert err.code == "AuthFailure.SignatureExpire"
    assert audit.by_request(err.requestId)["EventName"] == "EchoTypes"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_replayed_v1_nonce(stack, account, audit, monkeypatch, method):
    monkeypatch.setattr(abstract_client, "time", _FrozenTime(time.time()))
    monkeypatch.setattr(abstract_client, "random", _FixedRandom)
    client = common_client(stack.endpoint, account, *DEMO, sign="HmacSHA1", method=method)
    first = client.call_json("EchoTypes", OK)["Response"]
    err = failure(client, "EchoTypes", OK)
    assert err.code == "AuthFailure.SignatureFailure" and "replay" in err.message
    events = {e["RequestId"]: e for e in audit.collect(wait_for=2)}
    assert events[first["RequestId"]]["ErrorCode"] == 0
    assert events[err.requestId]["ApiErrorCode"] == "AuthFailure.SignatureFailure"


def test_unknown_action(stack, account, audit):
    err = failure(common_client(stack.endpoint, account, "cloudhsm", "2019-11-12"), "DescribeUnicorns", {})
    assert err.code == "InvalidAction"
    assert audit.by_request(err.requestId)["EventName"] == "DescribeUnicorns"


def test_unknown_version(stack, account, audit):
    err = failure(common_client(stack.endpoint, account, "cloudhsm", "2001-01-01"), "DescribeRegions", {})
    assert err.code == "NoSuchVersion"
    assert audit.by_request(err.requestId)["ApiErrorCode"] == "NoSuchVersion"


@pytest.mark.parametrize("sign,method", [("TC3-HMAC-SHA256", "POST"), ("TC3-HMAC-SHA256", "GET"),
                                         ("HmacSHA1", "POST"), ("HmacSHA256", "GET")])
def test_missing_mistyped_unknown_parameters(stack, account, audit, sign, method):
    client = common_client(stack.endpoint, account, *DEMO, sign=sign, method=method)
    cases = [({"Name": "n"}, "MissingParameter", "`Count`"),
             ({"Name": "n", "Count": "lots"}, "InvalidParameter", "`Count`"),
             ({"Name": "n", "Count": 1, "Kind": "gold"}, "InvalidParameterValue", "`Kind`"),
             ({"Name": "n", "Count": 1, "Colour": "red"}, "UnknownParameter", "`Colour`")]
    ids = []
    for params, code, name in cases:
        err = failure(client, "EchoTypes", params)
        assert (err.code, name in err.message) == (code, True), err
        ids.append(err.requestId)
    events = {e["RequestId"]: e for e in audit.collect(wait_for=len(ids))}
    assert [events[i]["ApiErrorCode"] for i in ids] == [c[1] for c in cases]


@pytest.mark.parametrize("sign,method", [("TC3-HMAC-SHA256", "POST"), ("TC3-HMAC-SHA256", "GET"),
                                         ("HmacSHA1", "GET"), ("HmacSHA256", "POST")])
def test_nested_values_travel_in_every_encoding(stack, account, sign, method):
    client = common_client(stack.endpoint, account, *DEMO, sign=sign, method=method)
    params = {"Name": "名称 with space+plus&amp", "Count": 2, "IdSet": [5, 6], "Enabled": False,
              "Tags": [{"TagKey": "k", "TagValue": "v/=?"}], "Filters": [{"Name": "f", "Values": ["a", "b"]}]}
    got = client.call_json("EchoTypes", params)["Response"]["Received"]
    assert got == params


def test_multipart_through_the_sdk(stack, account):
    client = common_client(stack.endpoint, account, *DEMO)
    # The SDK's multipart encoder sends scalars as text parts and arrays/objects as JSON parts.
    got = client.call_json("EchoTypes", {"Name": "mp", "Count": "3", "IdSet": [1]}, options={"IsMultipart": True})
    assert got["Response"]["Received"] == {"Name": "mp", "Count": 3, "IdSet": [1]}


def test_unsigned_payload_option(stack, account):
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.common.common_client import CommonClient
    from helpers import credential_of
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=stack.endpoint))
    profile.unsignedPayload = True
    client = CommonClient(*DEMO, credential_of(account), "ap-guangzhou", profile)
    assert client.call_json("EchoTypes", OK)["Response"]["Received"] == OK


def test_rate_limit_through_http(stack, account):
    client = common_client(stack.endpoint, account, *DEMO)
    codes = []
    # the limit is 5 a second: calls until one is refused (a slow, loaded machine may need more than
    # a second's worth of them)
    while "RequestLimitExceeded" not in codes and len(codes) < 200:
        try:
            client.call_json("DescribeLimited", {})
            codes.append("ok")
        except TencentCloudSDKException as exc:
            codes.append(exc.code)
    assert "RequestLimitExceeded" in codes and codes[0] == "ok"
    assert set(codes) <= {"ok", "RequestLimitExceeded"}


def test_errors_are_http_200_json(stack, account):
    import requests
    resp = requests.put(f"http://{stack.endpoint}/", data=b"{}", headers={"X-TC-Action": "DescribeRegions"})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/json"
    assert resp.json()["Response"]["Error"]["Code"] == "UnsupportedProtocol"
    resp = requests.post(f"http://{stack.endpoint}/", data=b"not json", headers={"Content-Type": "text/plain"})
    assert resp.json()["Response"]["Error"]["Code"] in ("MissingParameter", "InvalidParameter")
