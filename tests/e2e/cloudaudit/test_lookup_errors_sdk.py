"""LookUpEvents through the typed CloudauditClient answers the error codes of its own table
(tencentcloud.cloudaudit.v20190319.errorcodes): MaxResults outside 1..50 is
InvalidParameterValue.MaxResult, a StartTime after EndTime or a time outside 1970..9999 is
InvalidParameterValue.Time, an unknown AttributeKey is InvalidParameterValue.attributeKey; the
limits themselves still answer. LookupEvents (2019-03-04) answers the same codes."""
import json
import time

import pytest
from tencentcloud.cloudaudit.v20190319 import cloudaudit_client, errorcodes, models
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from ca_accounts import new_account
from helpers import credential_of, profile


@pytest.fixture
def typed(stack):
    acct = new_account()
    return cloudaudit_client.CloudauditClient(credential_of(acct), "ap-guangzhou", profile(stack.endpoint))


def _request(**params) -> models.LookUpEventsRequest:
    now = int(time.time())
    req = models.LookUpEventsRequest()
    req.from_json_string(json.dumps({"StartTime": now - 3600, "EndTime": now, **params}))
    return req


def _code(typed, **params) -> str:
    with pytest.raises(TencentCloudSDKException) as err:
        typed.LookUpEvents(_request(**params))
    return err.value.code


@pytest.mark.parametrize("value", [0, -1, 51, 1000])
def test_max_results_out_of_range(typed, value):
    assert _code(typed, MaxResults=value) == errorcodes.INVALIDPARAMETERVALUE_MAXRESULT


@pytest.mark.parametrize("value", [1, 50])
def test_max_results_at_the_limits_answer(typed, value):
    assert typed.LookUpEvents(_request(MaxResults=value)).ListOver is True


def test_start_after_end_and_times_out_of_range(typed):
    now = int(time.time())
    assert _code(typed, StartTime=now, EndTime=now - 60) == errorcodes.INVALIDPARAMETERVALUE_TIME
    assert _code(typed, StartTime=-1) == errorcodes.INVALIDPARAMETERVALUE_TIME
    assert _code(typed, StartTime=0, EndTime=10 ** 16) == errorcodes.INVALIDPARAMETERVALUE_TIME


def test_unknown_attribute_key(typed):
    attrs = [{"AttributeKey": "EventName", "AttributeValue": "DescribeRegions"},
             {"AttributeKey": "Colour", "AttributeValue": "red"}]
    with pytest.raises(TencentCloudSDKException) as err:
        typed.LookUpEvents(_request(LookupAttributes=attrs))
    assert err.value.code == errorcodes.INVALIDPARAMETERVALUE_ATTRIBUTEKEY
    assert "LookupAttributes.1.AttributeKey" in err.value.message


def test_lookup_events_2019_03_04_answers_the_same_codes(stack):
    from helpers import common_client
    c = common_client(stack.endpoint, new_account(), "cloudaudit", "2019-03-04")
    now = int(time.time())
    cases = [({"MaxResults": 51}, "InvalidParameterValue.MaxResult"),
             ({"StartTime": now, "EndTime": now - 1}, "InvalidParameterValue.Time"),
             ({"LookupAttributes": [{"AttributeKey": "Colour", "AttributeValue": "x"}]},
              "InvalidParameterValue.attributeKey")]
    for params, code in cases:
        with pytest.raises(TencentCloudSDKException) as err:
            c.call_json("LookupEvents", {"StartTime": now - 60, "EndTime": now, **params})
        assert err.value.code == code
