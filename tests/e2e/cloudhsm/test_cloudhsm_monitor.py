"""GetVsmMonitorInfo, GetAlarmEvent and ModifyAlarmEvent through the typed CloudhsmClient: metrics in
CloudWatch (moto), alarm policies evaluated on samples, refused input, other accounts."""
import json

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from hsm_helpers import Typed, create_vsm, other_account


def refused(typed, action, params) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        typed.call(action, params)
    return info.value.code


def test_monitor_info_of_a_vsm(typed, common, network):
    rid = create_vsm(common, network)["ResourceIds"][0]
    r = typed.call("GetVsmMonitorInfo", {"ResourceId": rid})
    series = [json.loads(s) for s in r["MonitorInfo"]]
    assert [s["Metric"] for s in series] == ["CPU", "MEM", "TCP"]
    assert [s["Unit"] for s in series] == ["Percent", "Percent", "Count"]
    assert all(len(s["Points"]) == 1 and s["Points"][0]["Value"] == 0 for s in series)
    assert r["InitStatus"] == 1
    [digest] = r["DigestList"]
    assert digest["DigestVer"] == 3 and len(digest["Value"]) == 64
    again = typed.call("GetVsmMonitorInfo", {"ResourceId": rid})           # sampled once a minute at most
    assert again["DigestList"] == r["DigestList"]
    typed.call("ModifyVsmAttributes", {"ResourceId": rid, "Type": ["UpdateResourceName"], "ResourceName": "pay-1"})
    assert typed.call("GetVsmMonitorInfo", {"ResourceName": "pay-1"})["MonitorInfo"] == again["MonitorInfo"]


def test_monitor_info_refusals_and_tenancy(stack, typed, common, network):
    rid = create_vsm(common, network)["ResourceIds"][0]
    assert refused(typed, "GetVsmMonitorInfo", {}) == "MissingParameter"
    assert refused(typed, "GetVsmMonitorInfo", {"ResourceId": "hsm-nothere0"}) == "ResourceNotFound"
    assert refused(typed, "GetVsmMonitorInfo", {"ResourceName": "no-such-name"}) == "ResourceNotFound"
    stranger = Typed(stack.endpoint, other_account())
    assert refused(stranger, "GetVsmMonitorInfo", {"ResourceId": rid}) == "ResourceNotFound"
    assert refused(stranger, "GetVsmMonitorInfo", {"ResourceName": rid}) == "ResourceNotFound"


def test_alarm_policies(stack, typed):
    assert typed.call("GetAlarmEvent", {})["AlarmConfig"] == []
    typed.call("ModifyAlarmEvent", {"Event": "CPU", "Limit": 80, "Status": 1})
    typed.call("ModifyAlarmEvent", {"Event": "TCP", "Limit": 500, "Status": 0,
                                    "BeginTime": "09:00:00", "EndTime": "18:00:00"})
    config = typed.call("GetAlarmEvent", {})["AlarmConfig"]
    uin = config[0]["Uin"]
    assert config == [
        {"Uin": uin, "Event": "CPU", "Limit": 80, "Status": 1, "BeginTime": "", "EndTime": ""},
        {"Uin": uin, "Event": "TCP", "Limit": 500, "Status": 0, "BeginTime": "09:00:00", "EndTime": "18:00:00"}]
    typed.call("ModifyAlarmEvent", {"Event": "CPU", "Status": 0})               # the rest is kept
    assert typed.call("GetAlarmEvent", {})["AlarmConfig"][0] == {**config[0], "Status": 0}
    assert Typed(stack.endpoint, other_account()).call("GetAlarmEvent", {})["AlarmConfig"] == []


@pytest.mark.parametrize("params", [
    {"Event": "DISK", "Limit": 1, "Status": 1},
    {"Event": "CPU", "Limit": 101, "Status": 1},
    {"Event": "MEM", "Limit": -1, "Status": 1},
    {"Event": "CPU", "Limit": 10, "Status": 2},
    {"Event": "CPU", "Limit": 10, "Status": 1, "BeginTime": "9am", "EndTime": "18:00:00"},
    {"Event": "CPU", "Limit": 10, "Status": 1, "BeginTime": "09:00:00"},
])
def test_alarm_refusals_change_nothing(typed, params):
    typed.call("ModifyAlarmEvent", {"Event": "CPU", "Limit": 70, "Status": 1})
    before = typed.call("GetAlarmEvent", {})["AlarmConfig"]
    assert refused(typed, "ModifyAlarmEvent", params) == "InvalidParameter"
    assert typed.call("GetAlarmEvent", {})["AlarmConfig"] == before


def test_new_policy_needs_a_limit(typed):
    assert refused(typed, "ModifyAlarmEvent", {"Event": "MEM", "Status": 1}) == "MissingParameter"
    assert typed.call("GetAlarmEvent", {})["AlarmConfig"] == []


def test_samples_are_evaluated_against_policies(typed, common, network, account):
    from layers.cloudhsm import monitor
    from layers.stores import vsm as store
    owner = account["OwnerUin"]
    rid = create_vsm(common, network)["ResourceIds"][0]
    typed.call("ModifyAlarmEvent", {"Event": "CPU", "Limit": 80, "Status": 1})
    monitor.record(owner, store.get_vsm(owner, rid), {"CPU": 95, "MEM": 10, "TCP": 3})
    assert monitor.alarm_states(owner)["CPU"] == "ALARM"
    monitor.record(owner, store.get_vsm(owner, rid), {"CPU": 20, "MEM": 10, "TCP": 3})
    assert monitor.alarm_states(owner)["CPU"] == "OK"
    typed.call("ModifyVsmAttributes", {"ResourceId": rid, "Type": ["Default"], "AlarmStatus": 0})
    monitor.record(owner, store.get_vsm(owner, rid), {"CPU": 99, "MEM": 10, "TCP": 3})
    assert monitor.alarm_states(owner)["CPU"] == "OK"                      # alarms off for this VSM
    cpu = json.loads(typed.call("GetVsmMonitorInfo", {"ResourceId": rid})["MonitorInfo"][0])
    assert max(p["Value"] for p in cpu["Points"]) == 99                     # still monitored


def test_points_are_whole_minutes_whenever_read(common, network, account):
    from layers.cloudhsm import monitor
    from layers.stores import vsm as store
    owner = account["OwnerUin"]
    rid = create_vsm(common, network)["ResourceIds"][0]
    minute = 1_800_000_000 // 60 * 60
    monitor.record(owner, store.get_vsm(owner, rid), {"CPU": 5, "MEM": 6, "TCP": 7}, at=minute + 20)
    readings = [monitor.series(owner, rid, now=minute + second) for second in (21, 40, 59, 61, 119)]
    for series in readings:
        assert [s["Points"] for s in series] == [[{"Time": minute, "Value": v}] for v in (5.0, 6.0, 7.0)]


def test_alarm_window():
    from datetime import datetime
    from layers.cloudhsm.monitor import BEIJING, in_window
    noon, night = datetime(2024, 1, 1, 12, tzinfo=BEIJING), datetime(2024, 1, 1, 23, 30, tzinfo=BEIJING)
    assert in_window("", "", night) and in_window("09:00:00", "18:00:00", noon)
    assert not in_window("09:00:00", "18:00:00", night) and in_window("22:00:00", "06:00:00", night)
