"""An audit event's queue body: valid UTF-8 the queue takes, within the size limit, whatever the request held."""
import hashlib
import json

from layers.gateway import audit_body
from layers.gateway.audit_body import MAX_EVENT_BYTES, encode


def event(**fields):
    base = {"EventId": "e1", "EventName": "DescribeUsers", "RequestId": "r1", "UserAgent": "sdk",
            "ApiErrorMessage": "", "RequestParameters": {}, "Resources": []}
    return {**base, **fields}


def size(body: str) -> int:
    return len(body.encode("utf-8"))


def test_an_ordinary_event_is_kept_as_it_is():
    ev = event(RequestParameters={"Name": "审计 ✓", "Limit": 10, "IdSet": [1, 2]})
    assert json.loads(encode(ev)) == ev


def test_a_lone_surrogate_becomes_a_replacement_character_and_the_rest_stays():
    ev = event(RequestParameters={"DataKeyName": "a\ud800b", "\udfffkey": "ok"}, UserAgent="x\udc80")
    body = encode(ev)
    body.encode("utf-8")                 # would raise with a surrogate left in
    got = json.loads(body)
    assert got["RequestParameters"] == {"DataKeyName": "a\ufffdb", "\ufffdkey": "ok"}
    assert got["UserAgent"] == "x\ufffd"


def test_characters_the_queue_refuses_travel_as_json_escapes():
    body = encode(event(RequestParameters={"Name": "a\uffffb\ufffe"}))
    assert "\uffff" not in body and "\ufffe" not in body
    assert json.loads(body)["RequestParameters"]["Name"] == "a\uffffb\ufffe"


def test_an_oversized_value_is_replaced_by_a_marker_with_its_size_and_digest():
    name = "n" * 1_100_000
    body = encode(event(RequestParameters={"Name": name, "Offset": 0, "Limit": 20}))
    assert size(body) <= MAX_EVENT_BYTES
    params = json.loads(body)["RequestParameters"]
    digest = hashlib.sha256(name.encode()).hexdigest()
    assert params["Name"] == f"<omitted due to size: 1100000 bytes, sha256 {digest}>"
    assert params["Offset"] == 0 and params["Limit"] == 20


def test_parameters_too_large_even_with_short_values_are_summarised():
    many = {"IdSet": [f"id-{i}" for i in range(20_000)], "Kind": 1}
    body = encode(event(RequestParameters=many))
    assert size(body) <= MAX_EVENT_BYTES
    params = json.loads(body)["RequestParameters"]
    raw = json.dumps(many, ensure_ascii=False, separators=(",", ":")).encode()
    assert params == {"OmittedDueToSize": True, "Bytes": len(raw), "SHA256": hashlib.sha256(raw).hexdigest(),
                      "Names": ["IdSet", "Kind"]}


def test_other_oversized_fields_are_cut_and_many_resources_are_counted():
    ev = event(UserAgent="u" * 300_000, ApiErrorMessage="€" * 200_000,
               Resources=[{"ResourceType": "user", "ResourceName": f"user-{i:06d}" * 10} for i in range(5000)])
    body = encode(ev)
    assert size(body) <= MAX_EVENT_BYTES
    got = json.loads(body)
    assert got["UserAgent"].startswith("u" * 100) and "omitted due to size: 300000 bytes" in got["UserAgent"]
    assert "omitted due to size: 600000 bytes" in got["ApiErrorMessage"]
    assert len(got["Resources"]) == 20 and got["ResourcesOmitted"] == 4980
    assert got["EventId"] == "e1" and got["RequestId"] == "r1"


def test_the_digest_is_of_what_was_sent_after_redaction():
    # secrets are redacted when the event is built, so a marker never digests a secret
    assert audit_body.omitted("******").endswith(hashlib.sha256(b"******").hexdigest() + ">")
