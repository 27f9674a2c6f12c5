"""Services, versions and actions come from the layout of functions/."""
import pytest

from layers.gateway import registry


@pytest.mark.parametrize("action,module", [
    ("DescribeRegions", "describe_regions"),
    ("DescribeHSMBySubnetId", "describe_hsm_by_subnet_id"),
    ("LookUpEvents", "look_up_events"),
    ("AsymmetricSm2Decrypt", "asymmetric_sm2_decrypt"),
    ("ModifyDasbResource", "modify_dasb_resource"),
])
def test_action_names_map_to_module_names(action, module):
    assert registry.module_name(action) == module


def test_services_and_aliases():
    assert registry.service_named("dasb") is registry.service_named("bhsaas")
    assert registry.service_named("cloudhsm").versions == ("2019-11-12",)
    assert set(registry.service_named("cloudaudit").versions) == {"2019-03-04", "2019-03-19"}
    assert registry.services_for_version("2019-10-18") == (registry.service_named("bhsaas"),)
    assert registry.service_named("cvm") is None


def test_find_action_is_exact():
    svc = registry.service_named("cloudhsm")
    assert registry.find_action(svc, "DescribeRegions").name == "DescribeRegions"
    for wrong in ("describeRegions", "DescribeRegion", "Describe_Regions", "../x", "DescribeREGIONS", ""):
        assert registry.find_action(svc, wrong) is None


def test_events_package_is_not_a_service():
    assert "events" not in registry.SERVICES
