"""Parameter decoding (JSON, flattened, multipart) and validation into the API's error codes."""
import json

import pytest

from fixtures.typedemo.echo_types import Input
from layers.gateway import params, schema
from layers.gateway.errors import ApiError


def code_of(fn, *args, **kwargs):
    with pytest.raises(ApiError) as exc:
        fn(*args, **kwargs)
    return exc.value.code, exc.value.message


def test_flattened_and_json_decode_to_the_same_value():
    flat = [("Name", "n"), ("Count", "3"), ("IdSet.1", "2"), ("IdSet.0", "1"), ("Tags.0.TagKey", "k"),
            ("Tags.0.TagValue", "v"), ("Filters.0.Name", "f"), ("Filters.0.Values.0", "x"),
            ("Enabled", "true"), ("Ratio", "0.5"), ("Delta", "-4")]
    body = {"Name": "n", "Count": 3, "IdSet": [1, 2], "Tags": [{"TagKey": "k", "TagValue": "v"}],
            "Filters": [{"Name": "f", "Values": ["x"]}], "Enabled": True, "Ratio": 0.5, "Delta": -4}
    from_flat = schema.validate(Input, params.unflatten(flat), strict=False)
    from_json = schema.validate(Input, params.parse_json_body(json.dumps(body).encode()), strict=True)
    assert from_flat == from_json
    assert from_json.IdSet == [1, 2] and from_json.Tags[0].TagKey == "k"


@pytest.mark.parametrize("pairs,fragment", [
    ([("IdSet.1", "2")], "numbered from 0"),
    ([("IdSet.0", "1"), ("IdSet.0", "2")], "more than once"),
    ([("Tags..TagKey", "k")], "malformed"),
    ([("A", "1"), ("A.0", "2")], "both a value and a structure"),
])
def test_malformed_flattened_names(pairs, fragment):
    code, message = code_of(params.unflatten, pairs)
    assert code == "InvalidParameter" and fragment in message


@pytest.mark.parametrize("body,fragment", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b"\xff\xfe{}", "UTF-8"),
])
def test_malformed_bodies(body, fragment):
    code, message = code_of(params.parse_json_body, body)
    assert code == "InvalidParameter" and fragment in message


def test_multipart_parts_become_parameters():
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"Name\"\r\n\r\nhello\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"IdSet\"\r\nContent-Type: application/json\r\n\r\n[1,2]\r\n"
            f"--{boundary}--\r\n").encode()
    got = params.parse_multipart(body, f"multipart/form-data; boundary={boundary}")
    assert got == {"Name": "hello", "IdSet": [1, 2]}


BASE = {"Name": "n", "Count": 1}


@pytest.mark.parametrize("change,code,name", [
    ({"Name": None}, "InvalidParameter", "Name"),
    ({"Count": "1"}, "InvalidParameter", "Count"),           # JSON: a string is not an Uint64
    ({"Count": -1}, "InvalidParameterValue", "Count"),
    ({"Count": 2 ** 64}, "InvalidParameterValue", "Count"),
    ({"Delta": 2 ** 63}, "InvalidParameterValue", "Delta"),
    ({"Ratio": "x"}, "InvalidParameter", "Ratio"),
    ({"Enabled": 1}, "InvalidParameter", "Enabled"),
    ({"Since": "yesterday"}, "InvalidParameterValue", "Since"),
    ({"Kind": "gold"}, "InvalidParameterValue", "Kind"),
    ({"Name": ""}, "InvalidParameterValue", "Name"),
    ({"Name": "x" * 33}, "InvalidParameterValue", "Name"),
    ({"IdSet": 5}, "InvalidParameter", "IdSet"),
    ({"IdSet": [1, "a"]}, "InvalidParameter", "IdSet.1"),
    ({"Tags": [{"TagValue": "v"}]}, "MissingParameter", "Tags.0.TagKey"),
    ({"Tags": [{"TagKey": "k", "Extra": 1}]}, "UnknownParameter", "Tags.0.Extra"),
    ({"Unknown": 1}, "UnknownParameter", "Unknown"),
])
def test_each_type_maps_to_the_api_error_naming_the_parameter(change, code, name):
    body = {**BASE, **change}
    got_code, message = code_of(schema.validate, Input, body, strict=True)
    assert got_code == code
    assert f"`{name}`" in message


def test_missing_outranks_other_errors():
    got_code, message = code_of(schema.validate, Input, {"Name": 5, "Unknown": 1}, strict=True)
    assert got_code == "MissingParameter" and "`Count`" in message


def test_datetime_iso_accepts_offsets_and_z():
    for value in ("2021-09-22T00:00:00+08:00", "2021-09-22T00:00:00Z", "2021-09-22T10:11:12"):
        assert schema.validate(Input, {**BASE, "Since": value}, strict=True).Since == value


def test_action_bounds_narrow_the_type_bounds():
    from pydantic import Field

    class Paged(schema.Params):
        Limit: schema.Int64 = Field(20, ge=0, le=100)
        Offset: schema.Uint64 = Field(0, le=1000)

    assert schema.validate(Paged, {"Limit": 100}, strict=True).Limit == 100
    for bad in ({"Limit": 101}, {"Limit": -1}, {"Offset": 1001}, {"Offset": -1}):
        got_code, message = code_of(schema.validate, Paged, bad, strict=True)
        assert got_code == "InvalidParameterValue" and f"`{next(iter(bad))}`" in message
