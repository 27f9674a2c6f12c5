"""The VSM lifecycle: CreateResource, DescribeVsms, DescribeVsmAttributes, DescribeHSMBy*,
ModifyVsmAttributes and TerminateVsm, with their error paths and tenancy."""
import ipaddress
import time

import pytest

from hsm_helpers import ZONE_A, ZONE_B, Common, Typed, create_vsm, make_network, other_account
from helpers import error_code


def test_create_then_describe_every_field(typed, common, network):
    before = int(time.time())
    r = create_vsm(common, network, vsm_type=17, tags=[{"TagKey": "env", "TagValue": "prod"}])
    assert r["BillId"] and len(r["DealNames"]) == 1 and len(r["ResourceIds"]) == 1
    rid = r["ResourceIds"][0]
    assert rid.startswith("hsm-")
    a = typed.call("DescribeVsmAttributes", {"ResourceId": rid})
    assert a["ResourceId"] == rid and a["ResourceName"] == rid and a["Status"] == 1
    assert a["Vip"] == f"{network.prefix}.1.4"                        # .0-.3 are reserved
    assert (a["VpcId"], a["SubnetId"], a["VsmType"], a["Model"]) == (network.vpc_id, network.subnet_a, 17,
                                                                      "TASS EHSM")
    assert (a["RegionId"], a["RegionName"], a["ZoneId"], a["ZoneName"]) == (1, "华南地区(广州)", ZONE_A, "广州三区")
    assert a["VpcName"] == network.vpc_name and a["SubnetName"] == f"hsm-a-{network.token}"
    assert a["VpcCidrBlock"] == f"{network.prefix}.0.0/16" and a["SubnetCidrBlock"] == f"{network.prefix}.1.0/28"
    assert a["Expired"] is False and a["SgList"] == []
    assert 27 * 86400 <= a["ExpireTime"] - before <= 32 * 86400        # prepaid: one month
    assert 0 < a["RemainSeconds"] <= a["ExpireTime"] - before
    assert a["Tags"] == [{"TagKey": "env", "TagValue": "prod"}]
    listed = typed.call("DescribeVsms", {"Offset": 0, "Limit": 10})
    assert listed["TotalCount"] == 1
    info = listed["VsmList"][0]
    assert info["ResourceId"] == rid and info["SgList"] == [] and info["Manufacturer"] == "TASS"
    assert {k: info[k] for k in ("Vip", "VpcName", "SubnetName", "ZoneName", "RegionName", "Expired")} == \
        {k: a[k] for k in ("Vip", "VpcName", "SubnetName", "ZoneName", "RegionName", "Expired")}


@pytest.mark.parametrize("method,sign", [("GET", "HmacSHA1"), ("POST", "HmacSHA256"), ("GET", "TC3-HMAC-SHA256")])
def test_flattened_parameters_reach_the_same_actions(stack, account, network, method, sign):
    from helpers import common_client
    client = common_client(stack.endpoint, account, "cloudhsm", "2019-11-12", method=method, sign=sign)
    created = client.call_json("CreateResource", {
        "PayMode": 1, "GoodsNum": 1, "VsmType": 35, "VpcId": network.vpc_id, "SubnetId": network.subnet_a,
        "ZoneId": ZONE_A, "Tags": [{"TagKey": "env", "TagValue": "prod"}]})["Response"]
    found = client.call_json("DescribeVsms", {"Offset": 0, "Limit": 10, "TagFilters": [
        {"TagKey": "env", "TagValue": ["prod"]}]})["Response"]
    assert [v["ResourceId"] for v in found["VsmList"]] == created["ResourceIds"]
    assert found["VsmList"][0]["Manufacturer"] == "SANSEC"


def test_postpaid_vsms_do_not_expire(typed, common, network):
    rid = create_vsm(common, network, pay_mode=0)["ResourceIds"][0]
    a = typed.call("DescribeVsmAttributes", {"ResourceId": rid})
    assert a["ExpireTime"] is None and a["RemainSeconds"] is None and a["Expired"] is False and a["Status"] == 1


def test_addresses_are_distinct_skip_taken_ones_and_run_out(ec2, typed, common, network):
    ec2.create_network_interface(SubnetId=network.subnet_a, PrivateIpAddress=f"{network.prefix}.1.5")
    ids = create_vsm(common, network, n=3)["ResourceIds"] + create_vsm(common, network, n=2)["ResourceIds"]
    vips = [typed.call("DescribeVsmAttributes", {"ResourceId": i})["Vip"] for i in ids]
    assert sorted(vips, key=ipaddress.ip_address) == [f"{network.prefix}.1.{n}" for n in (4, 6, 7, 8, 9)]
    subnet = typed.call("DescribeSubnet", {"Offset": 0, "Limit": 10, "VpcId": network.vpc_id,
                                           "SearchWord": network.subnet_a})["SubnetList"][0]
    assert subnet["AvailableIpAddressCount"] == 11 - 1 - 5


def test_a_full_subnet_is_resource_insufficient(ec2, stack, typed, common, network):
    for n in range(4, 14):                                     # .4-.13 taken, .14 the last usable
        ec2.create_network_interface(SubnetId=network.subnet_a, PrivateIpAddress=f"{network.prefix}.1.{n}")
    assert error_code(create_vsm, common, network, n=2) == "ResourceInsufficient"
    rid = create_vsm(common, network)["ResourceIds"][0]
    assert typed.call("DescribeVsmAttributes", {"ResourceId": rid})["Vip"] == f"{network.prefix}.1.14"
    assert error_code(create_vsm, common, network) == "ResourceInsufficient"
    assert typed.call("DescribeVsms", {"Offset": 0, "Limit": 10})["TotalCount"] == 1


def test_placement_errors(ec2, stack, account, typed, common, network):
    base = {"PayMode": 1, "GoodsNum": 1, "VsmType": 33, "VpcId": network.vpc_id, "SubnetId": network.subnet_a,
            "ZoneId": ZONE_A}
    other = make_network(ec2, account["OwnerUin"])
    cases = [
        ({"VpcId": "vpc-nothere1"}, "ResourceNotFound"),
        ({"SubnetId": "subnet-nothere1"}, "ResourceNotFound"),
        ({"SubnetId": other.subnet_a}, "InvalidParameter"),         # a subnet of another VPC
        ({"ZoneId": ZONE_B}, "InvalidParameter"),                   # the subnet is in ZONE_A
        ({"ZoneId": 999999}, "InvalidParameter"),
        ({"VsmType": 99}, "InvalidParameter"),
        ({"PayMode": 2}, "InvalidParameter"),
        ({"GoodsNum": 6}, "LimitExceeded"),
        ({"GoodsNum": 41}, "InvalidParameter"),
        ({"Tags": [{"TagKey": "a"}, {"TagKey": "a"}]}, "InvalidParameter"),
        ({"Tags": [{"TagKey": ""}]}, "InvalidParameter"),
        ({"Tags": [{"TagValue": "x"}]}, "MissingParameter"),
        ({"Color": "red"}, "UnknownParameter"),
    ]
    for change, code in cases:
        assert error_code(common.call, "CreateResource", {**base, **change}) == code, change
    missing = dict(base)
    del missing["ZoneId"]
    assert error_code(common.call, "CreateResource", missing) == "MissingParameter"
    shanghai = Common(stack.endpoint, account, "ap-singapore")
    assert error_code(shanghai.call, "CreateResource", base) == "UnsupportedRegion"
    # A network that belongs to someone else is as unknown as one that does not exist.
    stranger = make_network(ec2, "999999")
    assert error_code(common.call, "CreateResource", {**base, "VpcId": stranger.vpc_id,
                                                      "SubnetId": stranger.subnet_a}) == "ResourceNotFound"
    assert typed.call("DescribeVsms", {"Offset": 0, "Limit": 10})["TotalCount"] == 0   # nothing half-made


def test_sixth_vsm_is_limit_exceeded(typed, common, network):
    create_vsm(common, network, n=4, subnet=network.subnet_b, zone=ZONE_B)
    create_vsm(common, network)
    assert error_code(create_vsm, common, network) == "LimitExceeded"
    assert error_code(create_vsm, common, network, subnet=network.subnet_b, zone=ZONE_B) == "LimitExceeded"
    assert typed.call("DescribeVsms", {"Offset": 0, "Limit": 10})["TotalCount"] == 5
    # Returning one frees its slot.
    rid = typed.call("DescribeVsms", {"Offset": 0, "Limit": 1})["VsmList"][0]["ResourceId"]
    common.call("TerminateVsm", {"ResourceId": rid})
    assert len(create_vsm(common, network)["ResourceIds"]) == 1


def test_list_filters_and_paging(typed, common, network):
    tass = create_vsm(common, network, vsm_type=17, tags=[{"TagKey": "env", "TagValue": "prod"},
                                                          {"TagKey": "team", "TagValue": "pay"}])["ResourceIds"][0]
    sansec = create_vsm(common, network, vsm_type=49, tags=[{"TagKey": "env", "TagValue": "test"}])["ResourceIds"][0]
    cetc = create_vsm(common, network, vsm_type=34)["ResourceIds"][0]
    typed.call("ModifyVsmAttributes", {"ResourceId": cetc, "Type": ["UpdateResourceName"],
                                       "ResourceName": "payments-hsm"})

    def ids(**params):
        r = typed.call("DescribeVsms", {"Offset": 0, "Limit": 10, **params})
        assert r["TotalCount"] == len(r["VsmList"])
        return [v["ResourceId"] for v in r["VsmList"]]

    assert ids() == [cetc, sansec, tass]                                      # newest first
    assert ids(Manufacturer="SANSEC") == [sansec] and ids(Manufacturer="tass") == [tass]
    assert ids(Manufacturer="ACME") == []
    assert ids(SearchWord="PAYMENTS") == [cetc] and ids(SearchWord=tass[4:]) == [tass]
    assert ids(TagFilters=[{"TagKey": "env"}]) == [sansec, tass]
    assert ids(TagFilters=[{"TagKey": "env", "TagValue": ["prod", "stage"]}]) == [tass]
    assert ids(TagFilters=[{"TagKey": "env"}, {"TagKey": "team", "TagValue": ["pay"]}]) == [tass]
    assert ids(TagFilters=[{"TagValue": ["test"]}]) == [sansec]
    page = typed.call("DescribeVsms", {"Offset": 1, "Limit": 1})
    assert page["TotalCount"] == 3 and [v["ResourceId"] for v in page["VsmList"]] == [sansec]
    assert error_code(typed.call, "DescribeVsms", {"Offset": 0, "Limit": 101}) == "InvalidParameter"
    assert error_code(typed.call, "DescribeVsms", {"Offset": 0}) == "MissingParameter"


def test_counts_by_subnet_and_vpc(typed, common, network):
    create_vsm(common, network, n=2)
    create_vsm(common, network, subnet=network.subnet_b, zone=ZONE_B)
    assert typed.call("DescribeHSMBySubnetId", {"SubnetId": network.subnet_a})["TotalCount"] == 2
    assert typed.call("DescribeHSMBySubnetId", {"SubnetId": network.subnet_b})["TotalCount"] == 1
    r = typed.call("DescribeHSMByVpcId", {"VpcId": network.vpc_id})
    assert (r["TotalCount"], r["VpcId"]) == (3, network.vpc_id)
    # The name the action's own page uses reaches the same action.
    assert common.call("DescribeHSMBBySubnetId", {"SubnetId": network.subnet_b})["TotalCount"] == 1
    assert common.call("DescribeHSMBByVpcId", {"VpcId": network.vpc_id})["TotalCount"] == 3
    assert error_code(typed.call, "DescribeHSMByVpcId", {"VpcId": "vpc-nothere1"}) == "ResourceNotFound"
    assert error_code(typed.call, "DescribeHSMBySubnetId", {"SubnetId": "subnet-nothere1"}) == "ResourceNotFound"


def test_modify_name_and_groups(typed, common, network):
    rid = create_vsm(common, network)["ResourceIds"][0]
    typed.call("ModifyVsmAttributes", {"ResourceId": rid, "Type": ["UpdateResourceName", "UpdateSgIds"],
                                       "ResourceName": " vsm-one ", "SgIds": [network.sg_id]})
    a = typed.call("DescribeVsmAttributes", {"ResourceId": rid})
    assert a["ResourceName"] == "vsm-one"
    assert [g["SgId"] for g in a["SgList"]] == [network.sg_id]
    assert {p["Port"] for p in a["SgList"][0]["InBound"]} == {"8013", "1000-2000"}
    assert typed.call("DescribeVsms", {"Offset": 0, "Limit": 1})["VsmList"][0]["SgList"] == [
        {"SgId": network.sg_id, "SgName": network.sg_name, "SgRemark": "VSM access",
         "CreateTime": a["SgList"][0]["CreateTime"]}]
    typed.call("ModifyVsmAttributes", {"ResourceId": rid, "Type": ["UpdateSgIds"], "SgIds": []})
    assert typed.call("DescribeVsmAttributes", {"ResourceId": rid})["SgList"] == []


def test_modify_moves_within_the_zone(ec2, typed, common, network, account):
    rid = create_vsm(common, network)["ResourceIds"][0]
    typed.call("ModifyVsmAttributes", {"ResourceId": rid, "Type": ["UpdateSgIds"], "SgIds": [network.sg_id]})
    old_vip = typed.call("DescribeVsmAttributes", {"ResourceId": rid})["Vip"]
    second = ec2.create_subnet(VpcId=network.vpc_id, CidrBlock=f"{network.prefix}.3.0/24",
                               AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    typed.call("ModifyVsmAttributes", {"ResourceId": rid, "Type": ["UpdateNetWork"], "VpcId": network.vpc_id,
                                       "SubnetId": second})
    a = typed.call("DescribeVsmAttributes", {"ResourceId": rid})
    assert (a["SubnetId"], a["Vip"]) == (second, f"{network.prefix}.3.4")
    assert [g["SgId"] for g in a["SgList"]] == [network.sg_id]                 # same VPC: groups kept
    # The old address is free again: the next VSM in the old subnet takes it.
    other = create_vsm(common, network)["ResourceIds"][0]
    assert typed.call("DescribeVsmAttributes", {"ResourceId": other})["Vip"] == old_vip
    # Into another VPC (same zone): its groups cannot follow.
    elsewhere = make_network(ec2, account["OwnerUin"])
    typed.call("ModifyVsmAttributes", {"ResourceId": rid, "Type": ["UpdateNetWork"], "VpcId": elsewhere.vpc_id,
                                       "SubnetId": elsewhere.subnet_a})
    a = typed.call("DescribeVsmAttributes", {"ResourceId": rid})
    assert (a["VpcId"], a["SubnetId"], a["SgList"]) == (elsewhere.vpc_id, elsewhere.subnet_a, [])
    assert a["VpcName"] == elsewhere.vpc_name
    assert typed.call("DescribeHSMBySubnetId", {"SubnetId": second})["TotalCount"] == 0


def test_modify_errors(ec2, typed, common, network, account):
    rid = create_vsm(common, network)["ResourceIds"][0]
    elsewhere = make_network(ec2, account["OwnerUin"])
    cases = [
        ({"Type": ["UpdateResourceName"]}, "MissingParameter"),
        ({"Type": ["UpdateResourceName"], "ResourceName": "   "}, "InvalidParameter"),
        ({"Type": ["UpdateResourceName"], "ResourceName": "x" * 61}, "InvalidParameter"),
        ({"Type": ["UpdateSgIds"]}, "MissingParameter"),
        ({"Type": ["UpdateSgIds"], "SgIds": ["sg-nothere1"]}, "ResourceNotFound"),
        ({"Type": ["UpdateSgIds"], "SgIds": [elsewhere.sg_id]}, "InvalidParameter"),   # another VPC's group
        ({"Type": ["UpdateNetWork"], "VpcId": network.vpc_id}, "MissingParameter"),
        ({"Type": ["UpdateNetWork"], "VpcId": "vpc-nothere1", "SubnetId": network.subnet_a}, "ResourceNotFound"),
        ({"Type": ["UpdateNetWork"], "VpcId": network.vpc_id, "SubnetId": elsewhere.subnet_a},
         "InvalidParameter"),
        ({"Type": ["UpdateNetWork"], "VpcId": network.vpc_id, "SubnetId": network.subnet_b},
         "InvalidParameter"),                                                            # another zone
        ({"Type": ["Rename"]}, "InvalidParameter"),
        ({"Type": []}, "InvalidParameter"),
    ]
    for change, code in cases:
        assert error_code(typed.call, "ModifyVsmAttributes", {"ResourceId": rid, **change}) == code, change
    assert error_code(typed.call, "ModifyVsmAttributes", {"ResourceId": "hsm-nothere1", "Type": ["Default"]}) == \
        "ResourceNotFound"
    # Default changes nothing, whatever else is sent.
    typed.call("ModifyVsmAttributes", {"ResourceId": rid, "Type": ["Default"], "ResourceName": "ignored"})
    assert typed.call("DescribeVsmAttributes", {"ResourceId": rid})["ResourceName"] == rid


def test_terminate_releases_address_and_quota(typed, common, network):
    rid = create_vsm(common, network)["ResourceIds"][0]
    vip = typed.call("DescribeVsmAttributes", {"ResourceId": rid})["Vip"]
    common.call("TerminateVsm", {"ResourceId": rid})
    assert error_code(typed.call, "DescribeVsmAttributes", {"ResourceId": rid}) == "ResourceNotFound"
    assert error_code(common.call, "TerminateVsm", {"ResourceId": rid}) == "ResourceNotFound"
    assert typed.call("DescribeVsms", {"Offset": 0, "Limit": 10})["TotalCount"] == 0
    again = create_vsm(common, network)["ResourceIds"][0]
    assert typed.call("DescribeVsmAttributes", {"ResourceId": again})["Vip"] == vip


def test_terminate_calls_the_key_destruction_hook_before_anything_is_released(typed, common, network):
    from layers.stores import vsm as store
    rid = create_vsm(common, network)["ResourceIds"][0]
    seen = []

    def failing(vsm):
        seen.append(vsm["ResourceId"])
        raise RuntimeError("key store unavailable")

    store.termination_hooks.append(failing)
    try:
        assert error_code(common.call, "TerminateVsm", {"ResourceId": rid}) == "InternalError"
    finally:
        store.termination_hooks.remove(failing)
    assert seen == [rid]
    assert typed.call("DescribeVsmAttributes", {"ResourceId": rid})["ResourceId"] == rid   # still there
    store.termination_hooks.append(lambda vsm: seen.append(("shredded", vsm["ResourceId"], vsm["OwnerUin"])))
    try:
        common.call("TerminateVsm", {"ResourceId": rid})
    finally:
        store.termination_hooks.pop()
    assert seen[-1][:2] == ("shredded", rid)


def test_another_accounts_vsm_is_resource_not_found(stack, typed, common, network):
    rid = create_vsm(common, network)["ResourceIds"][0]
    stranger = other_account()
    t, c = Typed(stack.endpoint, stranger), Common(stack.endpoint, stranger)
    assert error_code(t.call, "DescribeVsmAttributes", {"ResourceId": rid}) == "ResourceNotFound"
    assert error_code(t.call, "ModifyVsmAttributes", {"ResourceId": rid, "Type": ["UpdateResourceName"],
                                                      "ResourceName": "mine"}) == "ResourceNotFound"
    assert error_code(c.call, "TerminateVsm", {"ResourceId": rid}) == "ResourceNotFound"
    assert t.call("DescribeVsms", {"Offset": 0, "Limit": 10})["TotalCount"] == 0
    assert error_code(t.call, "DescribeHSMByVpcId", {"VpcId": network.vpc_id}) == "ResourceNotFound"
    assert typed.call("DescribeVsmAttributes", {"ResourceId": rid})["ResourceName"] == rid     # untouched


def test_vsms_are_regional(stack, account, common, network):
    rid = create_vsm(common, network)["ResourceIds"][0]
    shanghai = Typed(stack.endpoint, account, "ap-shanghai")
    assert shanghai.call("DescribeVsms", {"Offset": 0, "Limit": 10})["TotalCount"] == 0
    assert error_code(shanghai.call, "DescribeVsmAttributes", {"ResourceId": rid}) == "ResourceNotFound"


def test_calls_are_audited_with_the_vsm_named(account, network):
    from helpers import response_of, tc3_request
    from layers.gateway.pipeline import Gateway

    class Kept:
        events = []

        def emit(self, event):
            self.events.append(event)

    gw = Gateway(emitter=Kept())
    params = {"PayMode": 0, "GoodsNum": 1, "VsmType": 33, "VpcId": network.vpc_id, "SubnetId": network.subnet_a,
              "ZoneId": ZONE_A}
    rid = response_of(gw.handle(tc3_request(account, "CreateResource", params)))["ResourceIds"][0]
    response_of(gw.handle(tc3_request(account, "TerminateVsm", {"ResourceId": rid})))
    created, terminated = Kept.events
    assert (created["EventName"], created["ResourceType"], created["ResourceName"]) == ("CreateResource", "vsm", rid)
    assert (terminated["EventName"], terminated["ResourceName"], terminated["SensitiveAction"]) == \
        ("TerminateVsm", rid, True)


def test_an_expired_prepaid_vsm_is_isolated(typed, common, network, account):
    from layers.stores import vsm as store
    rid = create_vsm(common, network)["ResourceIds"][0]
    store.update(account["OwnerUin"], store.get_vsm(account["OwnerUin"], rid), {"ExpireTime": int(time.time()) - 100})
    a = typed.call("DescribeVsmAttributes", {"ResourceId": rid})
    assert (a["Status"], a["Expired"]) == (2, True) and -200 < a["RemainSeconds"] <= -100
    listed = typed.call("DescribeVsms", {"Offset": 0, "Limit": 10})["VsmList"][0]
    assert (listed["Status"], listed["Expired"]) == (2, True)


def test_describe_vsms_checks_the_signature_but_no_policy(stack, account, common, network):
    from layers import identity
    rid = create_vsm(common, network)["ResourceIds"][0]
    user = identity.create_user(account["OwnerUin"], "reader", policy=["cloudhsm:DescribeRegions"])
    limited = Typed(stack.endpoint, {**account, **identity.create_key(user["Uin"])})
    assert [v["ResourceId"] for v in limited.call("DescribeVsms", {"Offset": 0, "Limit": 10})["VsmList"]] == [rid]
    assert error_code(limited.call, "DescribeVsmAttributes", {"ResourceId": rid}) == \
        "AuthFailure.UnauthorizedOperation"
    assert error_code(Typed(stack.endpoint, {**account, "SecretKey": "wrong"}).call, "DescribeVsms",
                      {"Offset": 0, "Limit": 10}) == "AuthFailure.SignatureFailure"


def test_create_makes_and_terminate_shreds_the_vsms_key_domain(typed, common, network, account):
    from layers import keystore
    from layers.keystore import domains
    rid = create_vsm(common, network)["ResourceIds"][0]
    assert domains.get(account["OwnerUin"], rid).domain_id == rid    # made by CreateResource
    common.call("TerminateVsm", {"ResourceId": rid})
    with pytest.raises(keystore.DomainDestroyed):
        domains.get(account["OwnerUin"], rid)
