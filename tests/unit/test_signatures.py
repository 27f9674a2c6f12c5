"""Known answers from the documentation's signature chapters, and the pieces around them."""
import hashlib

import pytest

from layers.gateway import signature_v1, signature_v3
from layers.gateway.errors import ApiError
from layers.gateway.request import HttpRequest, canonical_query_candidates

SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"


def test_v1_documented_example():
    # The documented value was computed with host cvm.tencentcloudapi.com and Region ap-guangzhou.
    pairs = [("Action", "DescribeInstances"), ("InstanceIds.0", "ins-09dx96dg"), ("Limit", "20"),
             ("Nonce", "11886"), ("Offset", "0"), ("Region", "ap-guangzhou"), ("SecretId", SECRET_ID),
             ("Timestamp", "1465185768"), ("Version", "2017-03-12")]
    to_sign = signature_v1.string_to_sign("GET", "cvm.tencentcloudapi.com", pairs)
    assert to_sign.startswith("GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=")
    assert signature_v1.sign(SECRET_KEY, to_sign) == "EliP9YW3pW28FpsEdkXt/+WcGeI="
    assert signature_v1.verify(SECRET_KEY, to_sign, "EliP9YW3pW28FpsEdkXt/+WcGeI=", "")


def test_v1_sorts_by_ascii_and_ignores_the_signature_itself():
    pairs = [("InstanceIds.2", "b"), ("InstanceIds.12", "a"), ("Signature", "x")]
    assert signature_v1.string_to_sign("GET", "h", pairs) == "GETh/?InstanceIds.12=a&InstanceIds.2=b"


def test_v1_hmacsha256_only_when_asked():
    s = "GEThost/?A=1"
    assert signature_v1.sign("k", s, "HmacSHA256") != signature_v1.sign("k", s, "HmacSHA1")
    assert signature_v1.sign("k", s, "anything-else") == signature_v1.sign("k", s, "HmacSHA1")


def test_v3_documented_example():
    headers = {"content-type": "application/x-www-form-urlencoded", "host": "cvm.tencentcloudapi.com"}
    canonical = signature_v3.canonical_request("GET", "Limit=10&Offset=0", headers, ("content-type", "host"),
                                               hashlib.sha256(b"").hexdigest())
    to_sign = signature_v3.string_to_sign("1539084154", "2018-10-09", "cvm", canonical)
    assert to_sign.splitlines()[:3] == ["TC3-HMAC-SHA256", "1539084154", "2018-10-09/cvm/tc3_request"]
    expected = "5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474"
    assert signature_v3.sign(SECRET_KEY, "2018-10-09", "cvm", to_sign) == expected
    authz = signature_v3.parse_authorization(
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/2018-10-09/cvm/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={expected}")
    assert signature_v3.verify(secret_key=SECRET_KEY, authz=authz, method="GET", headers=headers,
                               timestamp="1539084154", canonical_queries=["Limit=10&Offset=0"],
                               body_hash=hashlib.sha256(b"").hexdigest())
    assert not signature_v3.verify(secret_key=SECRET_KEY, authz=authz, method="GET", headers=headers,
                                   timestamp="1539084154", canonical_queries=["Limit=11&Offset=0"],
                                   body_hash=hashlib.sha256(b"").hexdigest())


def test_v3_scope_date_is_the_utc_date():
    # 1551113065 is 2019-02-26 00:44:25 in UTC+8 but still 2019-02-25 in UTC.
    assert signature_v3.scope_date(1551113065) == "2019-02-25"


@pytest.mark.parametrize("header", [
    "TC3-HMAC-SHA256 Credential=AKIDx/2019-01-01/cvm, SignedHeaders=content-type;host, Signature=" + "a" * 64,
    "TC3-HMAC-SHA256 Credential=AKIDx/2019-01-01/cvm/tc3_request, SignedHeaders=host, Signature=" + "a" * 64,
    "TC3-HMAC-SHA256 Credential=AKIDx/2019-01-01/cvm/tc3_request, SignedHeaders=content-type;host, Signature=zz",
    "TC3-HMAC-SHA256 Credential=AKIDx/2019-01-01/cvm/tc3_request, SignedHeaders=host;content-type, Signature=" + "a" * 64,
])
def test_malformed_authorization_is_a_signature_failure(header):
    with pytest.raises(ApiError) as exc:
        signature_v3.parse_authorization(header)
    assert exc.value.code == "AuthFailure.SignatureFailure"


def test_unsigned_payload_hashes_the_marker():
    assert signature_v3.payload_hash(b"body", {"x-tc-content-sha256": "UNSIGNED-PAYLOAD"}) == \
        hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()


def test_rebuilt_query_covers_sdk_encodings_and_orders():
    # Decoded pairs as API Gateway/Chalice hand them over, in another order than the client sent.
    req = HttpRequest(method="GET", headers={}, query=[("Name", "a b~*"), ("Limit", "10")])
    candidates = canonical_query_candidates(req)
    assert "Name=a+b~%2A&Limit=10" in candidates            # Python urlencode / Go in given order
    assert "Limit=10&Name=a+b~%2A" in candidates            # sorted (Go's url.Values.Encode)
    assert "Limit=10&Name=a%20b~%2A" in candidates          # RFC 3986
    assert "Limit=10&Name=a+b%7E*" in candidates            # Java URLEncoder
    assert canonical_query_candidates(HttpRequest(method="GET", headers={}, query=[])) == [""]
    exact = HttpRequest(method="GET", headers={}, query=[("A", "1")], raw_query="A=1")
    assert canonical_query_candidates(exact) == ["A=1"]
