"""Out-of-range StartTime/EndTime through the official SDK: LookupEvents and LookUpEvents answer
InvalidParameterValue.Time (the lookup's own error code), CreateExportTask InvalidParameterValue,
each naming the parameter, and an export is refused before any task or bucket is made."""
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from ca_accounts import new_account
from layers import aws
from layers.audit.lookup import MAX_MS


def refusal(client, action: str, params: dict):
    with pytest.raises(TencentCloudSDKException) as err:
        client.call_json(action, params)
    return err.value.code, err.value.message


@pytest.fixture
def clients(stack, client_for):
    acct = new_account()
    return acct, client_for(acct), client_for(acct, version="2019-03-19")


@pytest.mark.parametrize("start,end,name", [
    (0, 2 ** 63, "EndTime"),
    (2 ** 64 - 1, 2 ** 64 - 1, "StartTime"),
    (0, MAX_MS + 1, "EndTime"),
])
def test_lookup_events_refuses_times_past_year_9999(clients, start, end, name):
    _, c, _ = clients
    code, message = refusal(c, "LookupEvents", {"StartTime": start, "EndTime": end})
    assert code == "InvalidParameterValue.Time" and f"`{name}`" in message


@pytest.mark.parametrize("start,end,name,expected", [
    (0, 2 ** 63 - 1, "EndTime", "InvalidParameterValue.Time"),
    (10 ** 16, 10 ** 16, "StartTime", "InvalidParameterValue.Time"),
    (-1, 0, "StartTime", "InvalidParameterValue.Time"),
    (0, 2 ** 63, "EndTime", "InvalidParameterValue"),        # not an Int64 at all: the type's own refusal
])
def test_look_up_events_refuses_times_before_1970_or_past_year_9999(clients, start, end, name, expected):
    _, _, c = clients
    code, message = refusal(c, "LookUpEvents", {"StartTime": start, "EndTime": end})
    assert code == expected and f"`{name}`" in message


def test_the_widest_ranges_are_answered(clients):
    _, c, c2 = clients
    assert c.call_json("LookupEvents", {"StartTime": 0, "EndTime": MAX_MS})["Response"]["ListOver"] is True
    assert c2.call_json("LookUpEvents", {"StartTime": 0, "EndTime": 10 ** 11 - 1})["Response"]["ListOver"] is True


@pytest.mark.parametrize("start,end,name", [
    (0, 2 ** 63, "EndTime"),
    (MAX_MS + 1, MAX_MS + 1, "StartTime"),
    (2 ** 64 - 1, 2 ** 64 - 1, "StartTime"),
])
def test_an_export_of_an_out_of_range_time_is_refused_before_anything_is_made(clients, start, end, name):
    acct, c, _ = clients
    bucket = f"bounds-{acct['OwnerUin']}"
    code, message = refusal(c, "CreateExportTask", {"StartTime": start, "EndTime": end, "CosBucket": bucket,
                                                    "IsCreateNewBucket": True})
    assert code == "InvalidParameterValue" and f"`{name}`" in message
    assert c.call_json("DescribeExportTasks", {})["Response"]["TotalCount"] == 0
    names = {b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]}
    assert f"{bucket}-{acct['AppId']}" not in names
