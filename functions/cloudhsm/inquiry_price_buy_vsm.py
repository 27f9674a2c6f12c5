"""InquiryPriceBuyVsm: the price of GoodsNum VSMs for a period, from the configurable price table
(layers/cloudhsm/pricing.py). The VSM kind is chosen with HsmType, a parameter tencentcloud-sdk-
python defines and the API page does not: EHSM prices an EVSM, GHSM a GVSM, SHSM an SVSM;
virtualization (or no HsmType) the table's default kind. Physical HSMs are not sold."""
from typing import Annotated, Literal, Optional

from pydantic import Field, field_validator

from layers.cloudhsm import catalog, pricing
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Int64, String


class Input(HsmParams):
    GoodsNum: Annotated[Int64, Field(ge=1, le=100)]
    PayMode: Int64
    Currency: String = "CNY"
    TimeSpan: String
    TimeUnit: Literal["m", "y"]
    Type: Literal["CREATE", "RENEW"] = "CREATE"
    HsmType: Optional[Literal["virtualization", "physical", "GHSM", "EHSM", "SHSM"]] = None

    @field_validator("PayMode")
    @classmethod
    def _pay_mode(cls, v: int) -> int:
        if v not in (pricing.POSTPAID, pricing.PREPAID):
            raise ValueError("must be 0 (postpaid) or 1 (prepaid)")
        return v


@hsm_action("InquiryPriceBuyVsm", Input)
def handle(p: Input, ctx: RequestContext) -> dict:
    if p.HsmType in (None, "virtualization"):
        type_name = pricing.table()["DefaultTypeName"]
    else:
        type_name = catalog.type_name_hosted_by(p.HsmType)
        if type_name is None:
            raise invalid_value("HsmType", f"{p.HsmType} HSMs are not sold; VSMs are (virtualization, "
                                "EHSM, GHSM, SHSM)")
    months = pricing.months_of(p.TimeSpan, p.TimeUnit)
    q = pricing.quote(type_name=type_name, pay_mode=p.PayMode, months=months, goods_num=p.GoodsNum,
                      currency=p.Currency.strip().upper(), renew=p.Type == "RENEW")
    return {"TotalCost": q.total_cost, "GoodsNum": p.GoodsNum, "TimeSpan": p.TimeSpan.strip(),
            "TimeUnit": p.TimeUnit, "OriginalCost": q.original_cost}
