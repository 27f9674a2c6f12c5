"""VSM prices, from the table in functions/cloudhsm/data/prices.json.

    MonthlyPrices[currency][Prepaid|Postpaid][EVSM|GVSM|SVSM]   price of one VSM for one month
    PrepaidDiscounts  [{MinMonths, Rate}]   prepaid periods of at least MinMonths cost Rate × list
    MaxMonths         the longest period that can be quoted
    DefaultCurrency, DefaultTypeName        used when the inquiry names neither

OriginalCost = monthly price × months × GoodsNum; TotalCost applies the discount (prepaid only).
Both are rounded half-up to cents.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from layers.cloudhsm.catalog import load
from layers.gateway.errors import invalid_value

PREPAID, POSTPAID = 1, 0
_CENT = Decimal("0.01")


@lru_cache(maxsize=1)
def table() -> dict:
    return load("prices.json")


@dataclass(frozen=True)
class Quote:
    total_cost: float
    original_cost: float


def months_of(time_span: str, time_unit: str) -> int:
    """TimeSpan is a string holding a positive integer; TimeUnit m (months) or y (years)."""
    span = time_span.strip()
    if not (span.isascii() and span.isdigit()) or len(span) > 6 or int(span) < 1:   # not "²" or "١"
        raise invalid_value("TimeSpan", "must be a positive integer such as 1")
    months = int(span) * (12 if time_unit == "y" else 1)
    if months > table()["MaxMonths"]:
        raise invalid_value("TimeSpan", f"the period may be at most {table()['MaxMonths']} months")
    return months


def quote(*, type_name: str, pay_mode: int, months: int, goods_num: int, currency: str, renew: bool) -> Quote:
    prices = table()["MonthlyPrices"].get(currency)
    if prices is None:
        raise invalid_value("Currency", f"must be one of {', '.join(sorted(table()['MonthlyPrices']))}")
    if renew and pay_mode == POSTPAID:
        raise invalid_value("Type", "RENEW applies to prepaid (PayMode 1) VSMs only")
    monthly = prices["Prepaid" if pay_mode == PREPAID else "Postpaid"].get(type_name)
    if monthly is None:
        raise invalid_value("VsmType", f"no price is set for {type_name}")
    original = Decimal(str(monthly)) * months * goods_num
    rate = Decimal("1")
    if pay_mode == PREPAID:
        for step in sorted(table()["PrepaidDiscounts"], key=lambda s: s["MinMonths"]):
            if months >= step["MinMonths"]:
                rate = Decimal(str(step["Rate"]))
    total = original * rate
    return Quote(total_cost=float(total.quantize(_CENT, ROUND_HALF_UP)),
                 original_cost=float(original.quantize(_CENT, ROUND_HALF_UP)))
