"""The value-days digest (layers/audit/value_days.py): which documents an event needs, which
LookupAttributes it can place, and when a month of it expires."""
import datetime as dt

from layers.audit import value_days
from layers.audit.document import to_document
from layers.audit.query import value_conditions
from layers.audit.store import Doc
from layers.audit.templates import templates

T = 1_700_000_000_000          # 2023-11-14 UTC


def doc(event_id, account="1001", time_ms=T, **fields):
    """The stored document of an event (the digest reads its Keys)."""
    return Doc("i", event_id, to_document({"EventId": event_id, "AccountId": account, "EventTime": time_ms, **fields}))


def test_a_batch_has_one_document_per_account_and_day_listing_its_values():
    docs = [doc("a", SourceIPAddress="10.0.0.1", ResourceName="vsm-1,vsm-2", ApiErrorCode="", ReadOnly=True),
            doc("b", SourceIPAddress="10.0.0.1", Username=123, EventName="x" * 513),
            doc("c", account="1002", SourceIPAddress="10.0.0.9"),
            doc("d", time_ms=T + 86_400_000, EventName="Next")]
    out, owner = value_days.documents("traillog_server_log", docs)
    assert [d.source for d in out] == [
        # empty, over-long and non-digested fields are left out; numbers as a keyword field indexes them
        {"AccountId": "1001", "Day": "2023.11.14", "Username": ["123"], "SourceIPAddress": ["10.0.0.1"],
         "ResourceIds": ["vsm-1", "vsm-2"]},
        {"AccountId": "1002", "Day": "2023.11.14", "SourceIPAddress": ["10.0.0.9"]},
        {"AccountId": "1001", "Day": "2023.11.15", "EventName": ["Next"]}]
    assert owner == [0, 0, 1, 2]
    assert [d.index for d in out] == ["traillog_server_log_days-2023.11"] * 3
    again, _ = value_days.documents("traillog_server_log", list(reversed(docs)))
    assert {d.id for d in again} == {d.id for d in out}      # the same events make the same documents
    fewer, _ = value_days.documents("traillog_server_log", docs[:1])
    assert fewer[0].id not in {d.id for d in out}


def test_the_digest_template_indexes_every_digested_field_and_keeps_only_account_and_day():
    body = templates()["traillog_server_log_days"]
    assert body["index_patterns"] == ["traillog_server_log_days-*"]
    mapping = body["template"]["mappings"]
    assert set(mapping["properties"]) == {"AccountId", "Day", *value_days.FIELDS}
    assert set(mapping["_source"]["excludes"]) == set(value_days.FIELDS)


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


def test_values_stored_lately_are_not_written_again():
    clock = [0.0]
    known = value_days.Known(clock=lambda: clock[0])
    first = [doc("a", SourceIPAddress="10.0.0.1", EventName="DescribeVsms")]
    out, owner = value_days.documents("traillog_server_log", first, known)
    known.add(k for d in out for k in value_days.keys_of(d))
    assert value_days.documents("traillog_server_log", [doc("b", SourceIPAddress="10.0.0.1",
                                                            EventName="DescribeVsms")], known) == ([], [None])
    out, owner = value_days.documents("traillog_server_log", [doc("c", SourceIPAddress="10.0.0.2",
                                                                   EventName="DescribeVsms")], known)
    assert [d.source for d in out] == [{"AccountId": "1001", "Day": "2023.11.14", "SourceIPAddress": ["10.0.0.2"]}]
    assert owner == [0]
    clock[0] += value_days.Known.KEEP_SECONDS          # remembered for a while only
    out, _ = value_days.documents("traillog_server_log", first, known)
    assert out and out[0].source["EventName"] == ["DescribeVsms"]
    known.add(k for d in out for k in value_days.keys_of(d))
    known.clear()
    assert value_days.documents("traillog_server_log", first, known)[0]
