"""InquiryPriceBuyVsm against the price table in functions/cloudhsm/data/prices.json."""
import pytest

from helpers import error_code


def quote(typed, **params):
    base = {"GoodsNum": 1, "PayMode": 1, "TimeSpan": "1", "TimeUnit": "m"}
    return typed.call("InquiryPriceBuyVsm", {**base, **params})


def test_one_month_of_the_default_type(typed):
    r = quote(typed)
    assert (r["TotalCost"], r["OriginalCost"]) == (20000.0, 20000.0)
    assert (r["GoodsNum"], r["TimeSpan"], r["TimeUnit"]) == (1, "1", "m")


@pytest.mark.parametrize("params,total,original", [
    ({"GoodsNum": 3, "TimeSpan": "2"}, 120000.0, 120000.0),
    ({"TimeSpan": "1", "TimeUnit": "y"}, 199200.0, 240000.0),               # 12 months at 0.83
    ({"TimeSpan": "24"}, 336000.0, 480000.0),                               # 24 months at 0.70
    ({"TimeSpan": "3", "TimeUnit": "y", "GoodsNum": 2}, 864000.0, 1440000.0),  # 36 months at 0.60
    ({"HsmType": "SHSM"}, 25000.0, 25000.0),                                # an SVSM
    ({"HsmType": "virtualization", "TimeSpan": "2"}, 40000.0, 40000.0),
    ({"HsmType": "EHSM", "Type": "RENEW"}, 20000.0, 20000.0),
    ({"PayMode": 0, "TimeSpan": "12"}, 288000.0, 288000.0),                 # postpaid: no period discount
    ({"Currency": "cny"}, 20000.0, 20000.0),
])
def test_price_table(typed, params, total, original):
    r = quote(typed, **params)
    assert (r["TotalCost"], r["OriginalCost"]) == (total, original)


@pytest.mark.parametrize("params,code", [
    ({"TimeSpan": "0"}, "InvalidParameter"),
    ({"TimeSpan": "one"}, "InvalidParameter"),
    ({"TimeSpan": "²"}, "InvalidParameter"),           # a digit to str.isdigit, not to int()
    ({"TimeSpan": "١٢"}, "InvalidParameter"),
    ({"TimeSpan": "9" * 5000}, "InvalidParameter"),
    ({"TimeSpan": "4", "TimeUnit": "y"}, "InvalidParameter"),
    ({"TimeUnit": "d"}, "InvalidParameter"),
    ({"Currency": "USD"}, "InvalidParameter"),
    ({"Type": "UPGRADE"}, "InvalidParameter"),
    ({"PayMode": 0, "Type": "RENEW"}, "InvalidParameter"),
    ({"PayMode": 5}, "InvalidParameter"),
    ({"GoodsNum": 0}, "InvalidParameter"),
    ({"HsmType": "physical"}, "InvalidParameter"),
    ({"HsmType": "KHSM"}, "InvalidParameter"),
])
def test_bad_inquiries(typed, params, code):
    assert error_code(quote, typed, **params) == code


def test_time_span_is_required(typed):
    assert error_code(typed.call, "InquiryPriceBuyVsm", {"GoodsNum": 1, "PayMode": 1, "TimeUnit": "m"}) == \
        "MissingParameter"
