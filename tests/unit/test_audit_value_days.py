"""The value-days digest (layers/audit/value_days.py): which documents an event needs, which
LookupAttributes it can place, and when a month of it expires."""
import datetime as dt

from layers.audit import value_days
from layers.audit.query import value_conditions
from layers.audit.store import Doc

T = 1_700_000_000_000          # 2023-11-14 UTC


def doc(event_id, **fields):
    return Doc("traillog_server_log-2023.11.14", event_id, {"AccountId": "1001", "EventTime": T, **fields})


def test_each_value_of_a_batch_is_one_document_and_each_event_names_the_ones_it_needs():
    docs = [doc("a", SourceIPAddress="10.0.0.1", ResourceIds=["vsm-1", "vsm-2"], ApiErrorCode="", ReadOnly=True),
            doc("b", SourceIPAddress="10.0.0.1", Username=123, EventName="x" * 513)]
    out, needs = value_days.documents("traillog_server_log", docs)
    values = [(d.source["Field"], d.source["Value"]) for d in out]
    assert values == [("SourceIPAddress", "10.0.0.1"), ("ResourceIds", "vsm-1"), ("ResourceIds", "vsm-2"),
                      ("Username", "123")]     # empty, over-long and non-digested fields are left out
    assert needs == [[0, 1, 2], [3, 0]]
    assert {d.index for d in out} == {"traillog_server_log_days-2023.11"}
    assert all(d.source["Day"] == "2023.11.14" and d.source["AccountId"] == "1001" for d in out)
    again, _ = value_days.documents("traillog_server_log", docs[:1])
    assert again[0].id == out[0].id            # the same value on the same day is the same document
    other, _ = value_days.documents("traillog_server_log", [Doc("i", "c", {**docs[0].source, "AccountId": "1002"})])
    assert other[0].id != out[0].id


def test_only_exact_digested_values_become_conditions():
    attrs = [("EventName", "A"), ("EventName", "B"), ("SourceIPAddress", "10.0.0.1"), ("ReadOnly", "true"),
             ("RequestId", "r-1"), ("Tags", '[{"key":"env","value":"prod"}]')]
    assert value_conditions(attrs) == (
        ((("EventName", "A"),), (("EventName", "B"),)),                  # a repeated key: either value
        ((("SourceIPAddress", "10.0.0.1"),),),
        ((("Tags", '["env", "prod"]'),),),
    )
    both = value_conditions([("Tags", '[{"key":"env","value":"prod"},{"key":"team"}]')])
    assert both == (((("Tags", '["env", "prod"]'), ("Tags", '["team"]')),),)      # tags of one value: all
    assert value_conditions(attrs, "fuzzy") == ()
    assert value_conditions([("Username", ""), ("ResourceId", "x" * 513)]) == ()


def test_a_month_of_the_digest_expires_once_its_last_day_has():
    names = ["traillog_server_log_days-2030.04", "traillog_server_log_days-2030.05", "traillog_server_log_days-2030.06",
             "traillog_server_log_days-junk", "traillog_server_log-2030.04.01"]
    assert value_days.expired(names, "traillog_server_log", dt.date(2030, 5, 31)) == names[:2]
    assert value_days.expired(names, "traillog_server_log", dt.date(2030, 5, 30)) == names[:1]
