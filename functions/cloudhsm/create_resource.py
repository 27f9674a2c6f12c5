"""CreateResource: buy GoodsNum VSMs of one type in one subnet; each gets a free private address.

At most the account's quota (5, as the FAQ says) VSMs at a time: more is LimitExceeded."""
import logging
import secrets
import time
from datetime import datetime, timezone
from typing import Annotated, Optional

from pydantic import Field, field_validator

from layers import keystore
from layers.cloudhsm import catalog, pricing, vsms
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError, invalid_value
from layers.gateway.schema import Int64, Params, String
from layers.stores import vsm as store

log = logging.getLogger("guardzone.cloudhsm")
MAX_TAGS = 50
# One DynamoDB transaction (at most 100 items) holds the quota counter plus a VSM and a lease per VSM.
MAX_PER_REQUEST = 40


class TagUnit(Params):
    TagKey: String = Field(min_length=1, max_length=127)
    TagValue: Optional[String] = Field(None, max_length=255)


class Input(HsmParams):
    PayMode: Int64
    GoodsNum: Annotated[Int64, Field(ge=1, le=MAX_PER_REQUEST)]
    VsmType: Int64
    VpcId: String
    SubnetId: String
    ZoneId: Int64
    Tags: Optional[list[TagUnit]] = Field(None, max_length=MAX_TAGS)

    @field_validator("PayMode")
    @classmethod
    def _pay_mode(cls, v: int) -> int:
        if v not in (pricing.POSTPAID, pricing.PREPAID):
            raise ValueError("must be 0 (postpaid) or 1 (prepaid)")
        return v

    @field_validator("Tags")
    @classmethod
    def _unique_keys(cls, v):
        keys = [t.TagKey for t in v or []]
        if len(keys) != len(set(keys)):
            raise ValueError("each TagKey may appear once")
        return v


@hsm_action("CreateResource", Input, resource_type="vsm")
def handle(p: Input, ctx: RequestContext) -> dict:
    region = vsms.offering_region(ctx)
    zone = region.zone(p.ZoneId)
    if zone is None:
        raise invalid_value("ZoneId", f"{p.ZoneId} is not a zone of {region.en_code}; see DescribeRegions")
    vsm_type = catalog.vsm_type(p.VsmType)
    if vsm_type is None:
        raise invalid_value("VsmType", f"{p.VsmType} is not a VSM type; see DescribeSupportedHsm")
    _, limit = store.quota(ctx.account)
    if p.GoodsNum > limit:
        raise _limit(limit)
    _, subnet = vsms.check_placement(ctx, region, zone, p.VpcId, p.SubnetId)

    now = int(time.time())
    created_ms = int(time.time() * 1000)   # creation order (ms); VSMs of one request follow each other
    bill_id = f"{datetime.fromtimestamp(now, tz=timezone.utc):%Y%m%d%H%M%S}{secrets.randbelow(10 ** 6):06d}"
    deal_name = f"{datetime.fromtimestamp(now, tz=timezone.utc):%Y%m%d}{secrets.randbelow(10 ** 10):010d}"
    tags = [{"TagKey": t.TagKey, "TagValue": t.TagValue} for t in p.Tags or []]

    def attempt(again: bool) -> list:
        used, limit = store.quota(ctx.account)
        if used + p.GoodsNum > limit:
            raise _limit(limit)
        addresses = vsms.free_addresses(ctx, subnet, p.GoodsNum, spread=again)
        if len(addresses) < p.GoodsNum:
            raise ApiError("ResourceInsufficient", f"Subnet {subnet.subnet_id} has {len(addresses)} free "
                           f"address(es); {p.GoodsNum} needed.")
        made = []
        for position, address in enumerate(addresses):
            resource_id = vsms.new_resource_id()
            vsm = {"ResourceId": resource_id, "ResourceName": resource_id, "OwnerUin": ctx.account,
                   "CreateUin": ctx.uin, "Region": region.en_code, "ZoneId": zone.zone_id,
                   "VpcId": p.VpcId, "SubnetId": subnet.subnet_id, "Vip": address,
                   "VsmType": vsm_type.type_id, "Manufacturer": vsm_type.manufacturer, "Model": vsm_type.model,
                   "PayMode": p.PayMode, "RenewFlag": 0, "CreatedAt": created_ms + position, "SgIds": [], "Tags": tags,
                   "BillId": bill_id, "DealName": deal_name}
            if p.PayMode == pricing.PREPAID:
                vsm["ExpireTime"] = vsms.one_month_after(now)
            made.append(vsm)
        store.create(ctx.account, made, limit)
        return made

    created = vsms.committed(attempt)
    ids = [v["ResourceId"] for v in created]
    for resource_id in ids:
        # Each VSM is its own key domain. Should the key store be unreachable now, the VSM still
        # exists and KMS CreateKey creates the missing domain on first use.
        try:
            keystore.create_domain(ctx.account, resource_id)
        except Exception as exc:
            log.warning("key domain of %s not created yet (%s)", resource_id, type(exc).__name__)
    ctx.touched(*ids, resource_type="vsm")
    return {"BillId": bill_id, "DealNames": [deal_name], "ResourceIds": ids}


def _limit(limit: int) -> ApiError:
    return ApiError("LimitExceeded", f"An account may hold at most {limit} VSMs; contact an engineer for more.")
