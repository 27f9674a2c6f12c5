"""Pure helpers: address ranges, periods, prices and the catalog's lookups."""
from datetime import datetime, timezone

import pytest

from layers import network
from layers.cloudhsm import catalog, pricing, vsms


def _epoch(*args):
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


def test_usable_addresses_skip_the_reserved_ones():
    subnet = network.Subnet("subnet-1", "vpc-1", "", "192.168.7.0/29", None, "us-east-1a", 3, False, None, None)
    assert list(subnet.usable_addresses()) == ["192.168.7.4", "192.168.7.5", "192.168.7.6"]
    assert subnet.total_ips == 3


@pytest.mark.parametrize("start,end", [
    ((2024, 1, 31, 10), (2024, 2, 29, 10)), ((2023, 1, 31), (2023, 2, 28)), ((2024, 12, 15), (2025, 1, 15)),
])
def test_a_prepaid_month_is_a_calendar_month(start, end):
    assert vsms.one_month_after(_epoch(*start)) == _epoch(*end)


def test_lifecycle_states():
    assert vsms.lifecycle({"ExpireTime": 1000}, now=900) == (1, False, 100)
    assert vsms.lifecycle({"ExpireTime": 1000}, now=1000) == (2, True, 0)
    assert vsms.lifecycle({}, now=1000) == (1, False, None)


def test_quotes_round_to_cents():
    q = pricing.quote(type_name="GVSM", pay_mode=1, months=12, goods_num=3, currency="CNY", renew=False)
    assert (q.original_cost, q.total_cost) == (720000.0, 597600.0)
    assert pricing.months_of(" 2 ", "y") == 24


def test_catalog_lookups():
    gz = catalog.region("ap-guangzhou")
    assert gz.zone(100004).availability_zone == "us-east-1b" and gz.zone_of("us-east-1a").zone_id == 100003
    assert catalog.region("shjr").en_code == "ap-shanghai-fsi" and catalog.region("ap-singapore") is None
    assert catalog.vsm_type(49).manufacturer == "SANSEC" and catalog.vsm_type(49).hsm_type == "SHSM"
    assert catalog.type_name_hosted_by("EHSM") == "EVSM" and catalog.type_name_hosted_by("physical") is None


def test_rules_become_usg_policies():
    policies = network._policies([
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "UserIdGroupPairs": [],
         "PrefixListIds": [{"PrefixListId": "pl-1", "Description": "office"}]},
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        {"IpProtocol": "udp", "FromPort": 0, "ToPort": 65535, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    ])
    assert [(p["Ip"], p["AddressModule"], p["Proto"], p["Port"], p["Desc"]) for p in policies] == [
        ("0.0.0.0/0", "", "ALL", "ALL", ""), ("", "pl-1", "ALL", "ALL", "office"),
        ("10.0.0.0/8", "", "ICMP", "8", ""), ("::/0", "", "UDP", "ALL", "")]
    assert {p["Action"] for p in policies} == {"ACCEPT"}
