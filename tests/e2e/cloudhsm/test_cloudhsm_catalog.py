"""DescribeRegions, DescribeSupportedHsm and DescribeVsmProperty: the seed's catalogs."""
from hsm_helpers import Common, Typed
from helpers import error_code


def test_regions_list_zones_with_their_ids(common):
    r = common.call("DescribeRegions", {})
    assert r["TotalCount"] == len(r["Regions"]) == 6
    gz = next(x for x in r["Regions"] if x["RegionEnCode"] == "ap-guangzhou")
    assert gz["RegionId"] == 1 and gz["RegionCnCode"] == "华南地区(广州)"
    assert gz["Zones"][0] == {"ZoneId": 100003, "ZoneEnCode": "ap-guangzhou-3", "ZoneCnCode": "广州三区"}
    assert {x["RegionEnCode"] for x in r["Regions"]} >= {"ap-shanghai-fsi", "ap-shenzhen-fsi", "ap-beijing-fsi"}
    # Only the documented RegionInfo / ZoneInfo fields go out.
    assert all(set(x) == {"RegionId", "RegionCnCode", "RegionEnCode", "Zones"} for x in r["Regions"])
    assert all(set(z) == {"ZoneId", "ZoneEnCode", "ZoneCnCode"} for x in r["Regions"] for z in x["Zones"])


def test_supported_hsm_lists_the_three_manufacturers_and_their_vsm_types(typed):
    r = typed.call("DescribeSupportedHsm", {})
    by_maker = {d["Manufacturer"]: d for d in r["DeviceTypes"]}
    assert set(by_maker) == {"TASS", "CETC", "SANSEC"}
    types = {(m, t["TypeName"], t["TypeID"]) for m, d in by_maker.items()
             for h in d["HsmTypes"] for t in h["VsmTypes"]}
    assert types == {("TASS", "EVSM", 17), ("TASS", "GVSM", 33), ("CETC", "EVSM", 18), ("CETC", "GVSM", 34),
                     ("SANSEC", "EVSM", 19), ("SANSEC", "GVSM", 35), ("SANSEC", "SVSM", 49)}
    assert {(h["Model"], h["HsmType"]) for h in by_maker["SANSEC"]["HsmTypes"]} == {
        ("SANSEC EHSM", "EHSM"), ("SANSEC GHSM", "GHSM"), ("SANSEC SHSM", "SHSM")}


def test_supported_hsm_is_empty_where_cloudhsm_is_not_offered(stack, account):
    assert Typed(stack.endpoint, account, "ap-singapore").call("DescribeSupportedHsm", {})["DeviceTypes"] == []


def test_vsm_property_gives_the_seeds_algorithms_and_figures(common):
    r = common.call("DescribeVsmProperty", {"VsmTypeIDList": [17, 49, 17]})
    assert [p["VsmTypeID"] for p in r["VsmProperties"]] == [17, 49]
    tass_evsm, sansec_svsm = r["VsmProperties"]
    algs = {a["AlgType"]: a["AlgDesc"] for a in tass_evsm["AlgDescList"]}
    assert algs["对称算法"] == "SM1/SM4/DES/3DES/AES128/AES256"
    assert "X25519" in algs["非对称算法"]
    props = {p["PropertyName"]: p["PropertyValue"] for p in tass_evsm["PropertyList"]}
    assert props["SM2 签名运算性能"] == "3000次/秒" and props["最大并发连接"] == "64"
    assert props["RSA2048 密钥产生性能"] == "10对/秒"
    svsm = {p["PropertyName"]: p["PropertyValue"] for p in sansec_svsm["PropertyList"]}
    assert svsm["SM2 RAW签名运算性能"] == "2800次/秒"
    cetc = common.call("DescribeVsmProperty", {"VsmTypeIDList": [34]})["VsmProperties"][0]
    assert {p["PropertyName"]: p["PropertyValue"] for p in cetc["PropertyList"]}["SM3运算性能"] == "9.2Gbps，80万次/秒"


def test_vsm_property_errors(common):
    assert error_code(common.call, "DescribeVsmProperty", {"VsmTypeIDList": [17, 999]}) == "ResourceNotFound"
    assert error_code(common.call, "DescribeVsmProperty", {"VsmTypeIDList": []}) == "InvalidParameter"
    assert error_code(common.call, "DescribeVsmProperty", {}) == "MissingParameter"
    assert error_code(common.call, "DescribeVsmProperty", {"VsmTypeIDList": ["x"]}) == "InvalidParameter"


def test_old_region_code_names_the_same_catalog_region(stack, account):
    assert Common(stack.endpoint, account, "shjr").call("DescribeSupportedHsm", {})["DeviceTypes"]
