"""Keystore test helpers: fresh account ids, VSM records as CloudHSM stores them, request contexts."""
import secrets
import time
import uuid

from layers.gateway.action import RequestContext


def owner() -> str:
    return "9" + uuid.uuid4().hex[:11]


def make_vsm(account: str, region: str = "ap-guangzhou") -> dict:
    from layers.stores import vsm as store
    rid = "hsm-" + secrets.token_hex(4)
    vsm = {"ResourceId": rid, "ResourceName": rid, "OwnerUin": account, "CreateUin": account, "Region": region,
           "ZoneId": 100003, "VpcId": "vpc-keystore", "SubnetId": f"subnet-{rid}", "Vip": "10.0.1.4", "VsmType": 17,
           "Manufacturer": "TASS", "Model": "TASS EHSM", "PayMode": 0, "RenewFlag": 0,
           "CreatedAt": int(time.time() * 1000), "SgIds": [], "Tags": [], "BillId": "b", "DealName": "d"}
    _, limit = store.quota(account)
    store.create(account, [vsm], limit)
    return vsm


def context(account: str, region: str = "ap-guangzhou") -> RequestContext:
    return RequestContext(request_id="test", service="kms", version="2019-01-18", action="CreateKey",
                          region=region, account=account, uin=account)
