"""The SDK's CloudHSM parameters and fields beyond the API pages: HsmType and ClusterId filters,
AlarmStatus, the VSM's cluster/PQC/deployment fields, and InvalidParameter for refused values."""
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
import pytest

from hsm_helpers import create_vsm


def refused(typed, action, params) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        typed.call(action, params)
    return info.value.code


def test_supported_hsm_by_type(typed):
    every = typed.call("DescribeSupportedHsm", {})["DeviceTypes"]
    assert typed.call("DescribeSupportedHsm", {"HsmType": "all"})["DeviceTypes"] == every
    assert typed.call("DescribeSupportedHsm", {"HsmType": "virtulization"})["DeviceTypes"] == every
    shsm = typed.call("DescribeSupportedHsm", {"HsmType": "SHSM"})["DeviceTypes"]
    assert [d["Manufacturer"] for d in shsm] == ["SANSEC"]
    assert [h["HsmType"] for h in shsm[0]["HsmTypes"]] == ["SHSM"]
    assert {h["HsmType"] for d in typed.call("DescribeSupportedHsm", {"HsmType": "GHSM"})["DeviceTypes"]
            for h in d["HsmTypes"]} == {"GHSM"}
    assert refused(typed, "DescribeSupportedHsm", {"HsmType": "quantum"}) == "InvalidParameter"


def test_vsms_by_hsm_type_and_cluster(typed, common, network):
    g = create_vsm(common, network, vsm_type=33)["ResourceIds"][0]
    e = create_vsm(common, network, vsm_type=17)["ResourceIds"][0]

    def ids(**f):
        return {v["ResourceId"] for v in typed.call("DescribeVsms", {"Offset": 0, "Limit": 100, **f})["VsmList"]}
    assert {g, e} <= ids() == ids(HsmType="all") == ids(HsmType="virtualization")
    assert g in ids(HsmType="GHSM") and e not in ids(HsmType="GHSM")
    assert e in ids(HsmType="EHSM") and g not in ids(HsmType="EHSM")
    assert ids(HsmType="physical") == set() and ids(HsmType="SHSM").isdisjoint({g, e})
    assert ids(ClusterId="") == ids() and ids(ClusterId="cls-none") == set()
    assert refused(typed, "DescribeVsms", {"Offset": 0, "Limit": 10, "HsmType": "XHSM"}) == "InvalidParameter"


def test_vsm_fields_of_the_sdk(typed, common, network):
    rid = create_vsm(common, network)["ResourceIds"][0]
    info = typed.call("DescribeVsms", {"Offset": 0, "Limit": 1, "SearchWord": rid})["VsmList"][0]
    assert (info["ClusterId"], info["ClusterRole"], info["DeployEnv"]) == ("", 0, "cloud")
    assert (info["PqcFlag"], info["PqcStatus"], info["AlarmStatus"]) == (0, 0, 1)
    assert isinstance(info["Version"], str) and info["Version"]
    a = typed.call("DescribeVsmAttributes", {"ResourceId": rid})
    assert (a["ClusterId"], a["ClusterRole"], a["DeployEnv"], a["PqcFlag"]) == ("", 0, "cloud", 0)
    assert a["SgList"] == [] == info["SgList"]


def test_alarm_status(typed, common, network):
    rid = create_vsm(common, network)["ResourceIds"][0]
    typed.call("ModifyVsmAttributes", {"ResourceId": rid, "Type": ["Default"], "AlarmStatus": 0})
    info = typed.call("DescribeVsms", {"Offset": 0, "Limit": 1, "SearchWord": rid})["VsmList"][0]
    assert info["AlarmStatus"] == 0 and info["ResourceName"] == rid
    assert refused(typed, "ModifyVsmAttributes", {"ResourceId": rid, "Type": ["Default"], "AlarmStatus": 2}) \
        == "InvalidParameter"
    assert typed.call("DescribeVsms", {"Offset": 0, "Limit": 1, "SearchWord": rid})["VsmList"][0]["AlarmStatus"] == 0
    typed.call("ModifyVsmAttributes", {"ResourceId": rid, "Type": ["Default"], "AlarmStatus": 1})
    assert typed.call("DescribeVsms", {"Offset": 0, "Limit": 1, "SearchWord": rid})["VsmList"][0]["AlarmStatus"] == 1


def test_values_out_of_range_answer_invalid_parameter(typed):
    assert refused(typed, "DescribeVsms", {"Offset": -1, "Limit": 10}) == "InvalidParameter"
    assert refused(typed, "DescribeVsms", {"Offset": 0, "Limit": 1000}) == "InvalidParameter"
    assert refused(typed, "InquiryPriceBuyVsm", {"GoodsNum": 1, "PayMode": 1, "TimeSpan": "x", "TimeUnit": "m"}) \
        == "InvalidParameter"
