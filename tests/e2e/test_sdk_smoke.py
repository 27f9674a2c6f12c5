"""The official SDK against the local endpoint: every signature style and method."""
import pytest

from helpers import error_code


@pytest.mark.parametrize("sign", ["TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_every_signature_style_and_method_reaches_the_action(sdk, sign, method):
    client = sdk("cloudhsm", "2019-11-12", method=method, sign=sign)
    response = client.call_json("DescribeRegions", {})["Response"]
    assert response["TotalCount"] == len(response["Regions"]) > 0
    assert {"RegionId", "RegionEnCode", "RegionCnCode", "Zones"} <= set(response["Regions"][0])


def test_wrong_secret_key_is_a_signature_failure(sdk):
    client = sdk("cloudhsm", "2019-11-12", secret_key="not-the-key")
    assert error_code(client.call_json, "DescribeRegions", {}) == "AuthFailure.SignatureFailure"
