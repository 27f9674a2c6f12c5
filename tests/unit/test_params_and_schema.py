"""Parameter decoding (JSON, flattened, multipart) and validation into the API's error codes."""
import json
from typing import Optional

import pytest

from fixtures.typedemo.echo_types import Filter, Input
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


# ---- characters refused in names ----

class Label(schema.Params):
    DeviceName: schema.String
    Remark: Optional[schema.String] = None


class Named(schema.Params):
    """Name-like parameters at every level, beside free-text ones that keep any character."""
    UserName: Optional[schema.String] = None
    Name: Optional[schema.String] = None
    Alias: Optional[schema.String] = None
    Description: Optional[schema.String] = None
    AccountSet: Optional[list[schema.String]] = None
    GroupName: Optional[list[list[schema.String]]] = None
    Labels: Optional[list[Label]] = None
    CmdList: Optional[schema.String] = None
    SearchWord: Optional[schema.String] = None
    Filters: Optional[list[Filter]] = None
    Plaintext: Optional[schema.String] = None


REFUSED = ["\x00", "\x01", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\u061c",
           "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
           "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff"]
# Ordinary, Chinese, right-to-left and emoji text (zero-width joiner, variation selector, flag, skin tone).
DISPLAYABLE = ["ops-team_1", "John Smith", "支付加密机", "运维组🙂", "👩‍💻", "❤️", "🇨🇳", "👍🏽", "שלום", "مرحبا", "Ünïcödé"]


def refusal(body: dict, strict: bool = True) -> str:
    code, message = code_of(schema.validate, Named, body, strict=strict)
    assert code == "InvalidParameterValue", message
    return message


@pytest.mark.parametrize("char", REFUSED)
def test_a_name_with_a_control_or_bidi_character_is_refused_naming_the_parameter_and_the_character(char):
    message = refusal({"UserName": f"invoice{char}fdp.exe"})
    assert message == (f"The value of parameter `UserName` is invalid: contains a control or bidirectional "
                       f"formatting character (U+{ord(char):04X}).")
    assert "invoice" not in message and char not in message


@pytest.mark.parametrize("body,name", [
    ({"Name": "a\u202eb"}, "Name"),
    ({"Alias": "a\x00"}, "Alias"),
    ({"Description": "line one\nline two"}, "Description"),
    ({"AccountSet": ["root", "ad\u2066min"]}, "AccountSet"),
    ({"GroupName": [["ok"], ["fine", "bad\x7f"]]}, "GroupName"),
    ({"Labels": [{"DeviceName": "web"}, {"DeviceName": "db\u200f"}]}, "Labels.1.DeviceName"),
    ({"Labels": [{"DeviceName": "web", "Remark": "\ufeffnote"}]}, "Labels.0.Remark"),
    ({"Filters": [{"Name": "Key\x00Id", "Values": ["x"]}]}, "Filters.0.Name"),
])
def test_every_name_like_parameter_at_any_level_is_checked(body, name):
    assert f"`{name}`" in refusal(body)


def test_flattened_parameters_are_checked_alike():
    pairs = [("Labels.0.DeviceName", "db\u202e"), ("AccountSet.0", "root\x00")]
    assert "contains a control" in refusal(params.unflatten(pairs), strict=False)


@pytest.mark.parametrize("text", DISPLAYABLE)
def test_names_of_ordinary_chinese_right_to_left_and_emoji_text_are_accepted(text):
    body = {"UserName": text, "Name": text, "Alias": text, "Description": text, "AccountSet": [text],
            "GroupName": [[text]], "Labels": [{"DeviceName": text, "Remark": text}]}
    assert schema.validate(Named, body, strict=True).model_dump(exclude_none=True) == body


def test_free_text_parameters_keep_newlines_and_any_character():
    body = {"CmdList": "ls -l\n\tcat /etc/passwd\r\nrm -rf *\n", "SearchWord": "a\u202eb\x00",
            "Filters": [{"Name": "Cmd", "Values": ["line\nbreak", "\u2066x\u2069"]}], "Plaintext": "\x00\x01"}
    assert schema.validate(Named, body, strict=True).model_dump(exclude_none=True) == body


# ---- a real action through the in-process gateway ----

BASTION = dict(service="bhsaas", version="2019-10-18")


def _gateway_call(req) -> dict:
    from layers.gateway.http import gateway
    _, _, body = gateway().handle(req)
    return json.loads(body)["Response"]


def test_actions_refuse_spoofing_names_and_still_find_users_by_chinese_and_emoji_names(account):
    from helpers import tc3_request

    def call(action, params, **where):
        return _gateway_call(tc3_request(account, action, params, **(where or BASTION)))

    refused = call("CreateUser", {"UserName": "mallory", "RealName": "Alice\u202eecilA", "Phone": "13800000000"})
    assert refused["Error"] == {"Code": "InvalidParameterValue", "Message": (
        "The value of parameter `RealName` is invalid: contains a control or bidirectional formatting "
        "character (U+202E).")}
    flattened = call("CreateUserGroup", {"Name": "ops\x00"}, method="GET", **BASTION)
    assert flattened["Error"]["Code"] == "InvalidParameterValue" and "`Name`" in flattened["Error"]["Message"]
    kms = call("CreateKey", {"Alias": "spoof-key", "Description": "orders\u2067"}, service="kms", version="2019-01-18")
    assert kms["Error"]["Code"] == "InvalidParameterValue" and "`Description`" in kms["Error"]["Message"]
    assert call("DescribeUsers", {})["TotalCount"] == 0          # nothing was written

    uid = call("CreateUser", {"UserName": "zhangsan", "RealName": "张三👩‍💻", "Phone": "13800000000"})["Id"]
    for term in ("张三", "👩‍💻", "zhang"):
        found = call("DescribeUsers", {"Name": term})
        assert [u["Id"] for u in found["UserSet"]] == [uid] and found["UserSet"][0]["RealName"] == "张三👩‍💻", term
    assert call("DescribeUsers", {"Name": "李四"})["TotalCount"] == 0
    template = call("CreateCmdTemplate", {"Name": "运维模板", "CmdList": "ls -l\nrm -rf /\n\tshutdown"})
    assert template["Id"] > 0
