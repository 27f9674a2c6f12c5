"""What the PKCS#11/SDF tests share besides fixtures (conftest.py): the checkout, config files that
point the library at the local stack, a tenant with one VSM, the tools' environment."""
import os
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "e2e" / "cloudhsm"))

from hsm_helpers import REGION, Common, create_vsm, make_network, other_account  # noqa: E402

RATE = 1000            # the tools make a few calls per step; the default 20/s per action would throttle them


def write_conf(path: Path, endpoint: str, secret_id: str, extra: str = "") -> Path:
    path.write_text(f"[guardzone]\nendpoint = http://{endpoint}\nregion = {REGION}\nsecret_id = {secret_id}\n{extra}")
    return path


def new_tenant(stack, tmp: Path, name: str) -> SimpleNamespace:
    from layers import aws
    acct = other_account(rate_limit=RATE)
    net = make_network(aws.client("ec2", REGION), acct["OwnerUin"])
    common = Common(stack.endpoint, acct)
    vsm = create_vsm(common, net)["ResourceIds"][0]
    vsm_name = common.call("DescribeVsmAttributes", {"ResourceId": vsm})["ResourceName"]
    conf = write_conf(tmp / f"{name}.conf", stack.endpoint, acct["SecretId"], f"slots = {vsm}\n")
    return SimpleNamespace(acct=acct, net=net, common=common, vsm=vsm, conf=conf, pin=acct["SecretKey"], vsm_name=vsm_name,
                           endpoint=stack.endpoint)


def tool_env(conf: Path) -> dict:
    return {**os.environ, "GUARDZONE_PKCS11_CONF": str(conf)}


def vendor(enum_cls, name: str, value: int):
    """python-pkcs11 takes only members of its enums: add the library's vendor-defined numbers."""
    if value in enum_cls._value2member_map_:
        return enum_cls._value2member_map_[value]
    member = int.__new__(enum_cls, value)
    member._name_, member._value_ = name, value
    enum_cls._value2member_map_[value] = member
    enum_cls._member_map_[name] = member
    return member
