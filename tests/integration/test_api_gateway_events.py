"""The deployed path: API Gateway REST proxy events into the Lambda handler (app.app).

REST events carry the query string decoded into a map, possibly reordered; TC3 GET must verify anyway."""
import base64
import json
import uuid
from urllib.parse import quote

from helpers import tc3_request
from infra.pump import LambdaContext

DEMO = dict(service="typedemo", version="2020-02-02")


def rest_event(req, *, reorder: bool = False, base64_body: bool = False) -> dict:
    pairs = list(reversed(req.query)) if reorder else req.query
    multi = {}
    for k, v in pairs:
        multi.setdefault(k, []).append(v)
    body = req.body or None
    if body is not None:
        body = base64.b64encode(body).decode() if base64_body else body.decode()
    return {
        "resource": "/", "path": "/", "httpMethod": req.method,
        "headers": {k.title(): v for k, v in req.headers.items()},
        "multiValueHeaders": {k.title(): [v] for k, v in req.headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "requestContext": {"resourcePath": "/", "httpMethod": req.method, "path": "/api/", "stage": "api",
                           "requestId": str(uuid.uuid4()), "identity": {"sourceIp": "203.0.113.9"}},
        "pathParameters": None, "stageVariables": None, "body": body, "isBase64Encoded": base64_body,
    }


def invoke(stack, event) -> dict:
    result = stack.app(event, LambdaContext("APIHandler"))
    assert result["statusCode"] == 200 and result["headers"]["Content-Type"] == "application/json"
    json.dumps(result)   # what the Lambda runtime does with it: the body must be text
    return json.loads(result["body"])["Response"]


def test_tc3_get_verifies_from_a_decoded_query_in_the_order_sent(stack, account, audit):
    params = {"Name": "a b+c/é", "Count": 9, "IdSet": [1, 2], "Tags": [{"TagKey": "k~*"}]}
    req = tc3_request(account, "EchoTypes", params, method="GET", **DEMO)
    resp = invoke(stack, rest_event(req))
    assert resp["Received"] == params
    assert audit.by_request(resp["RequestId"])["SourceIPAddress"] == "203.0.113.9"


def test_tc3_get_signed_sorted_verifies_whatever_order_the_gateway_hands_over(stack, account):
    params = {"Count": 9, "IdSet": [1, 2], "Name": "a b", "Tags": [{"TagKey": "k"}]}   # sorted, as Go signs
    req = tc3_request(account, "EchoTypes", params, method="GET", **DEMO)
    assert invoke(stack, rest_event(req, reorder=True))["Received"] == params


def test_tc3_get_signed_with_rfc3986_encoding(stack, account):
    from layers.gateway import signature_v3
    req = tc3_request(account, "EchoTypes", {"Name": "x y", "Count": 1}, method="GET", **DEMO)
    # Re-sign as a client that encodes spaces as %20.
    raw = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in req.query)
    ts = req.headers["x-tc-timestamp"]
    date = signature_v3.scope_date(int(ts))
    canonical = signature_v3.canonical_request("GET", raw, req.headers, ("content-type", "host"),
                                               signature_v3.payload_hash(b"", req.headers))
    sig = signature_v3.sign(account["SecretKey"], date, "typedemo",
                            signature_v3.string_to_sign(ts, date, "typedemo", canonical))
    req.headers["authorization"] = signature_v3.authorization_header(account["SecretId"], date, "typedemo", sig)
    assert invoke(stack, rest_event(req))["Received"] == {"Name": "x y", "Count": 1}


def test_tampered_query_value_fails(stack, account):
    req = tc3_request(account, "EchoTypes", {"Name": "a", "Count": 1}, method="GET", **DEMO)
    req.query = [(k, "2" if k == "Count" else v) for k, v in req.query]
    assert invoke(stack, rest_event(req))["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_json_post_and_base64_multipart(stack, account):
    req = tc3_request(account, "EchoTypes", {"Name": "p", "Count": 2}, **DEMO)
    assert invoke(stack, rest_event(req))["Received"] == {"Name": "p", "Count": 2}
    boundary = "feedface"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"Name\"\r\n\r\nm\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"Count\"\r\n\r\n4\r\n--{boundary}--\r\n").encode()
    req = tc3_request(account, "EchoTypes", {}, body=body, content_type=f"multipart/form-data; boundary={boundary}",
                      **DEMO)
    assert invoke(stack, rest_event(req, base64_body=True))["Received"] == {"Name": "m", "Count": 4}
