"""The value-days digest (layers/audit/value_days.py): which documents an event needs, which
LookupAttributes and keywords it can place, and when a month of it expires."""
import datetime as dt

from layers.audit import value_days
from layers.audit.document import IDENTIFIER_FIELDS, to_document
from layers.audit.query import keyword_condition, value_conditions
from layers.audit.store import Doc
from layers.audit.templates import templates
from layers.timeids import uuid7

T = 1_700_000_000_000          # 2023-11-14 UTC
DAY = 86_400_000


def doc(event_id, account="1001", time_ms=T, **fields):
    """The stored document of an event (the digest reads its Keys and Content). Its EventId is
    minted at its time unless given."""
    event_id = event_id or uuid7(time_ms).hex
    return Doc("i", event_id, to_document({"EventId": event_id, "AccountId": account, "EventTime": time_ms, **fields}))


def test_a_batch_has_one_document_per_account_and_day_listing_its_values():
    docs = [doc(None, SourceIPAddress="10.0.0.1", ResourceName="vsm-1,vsm-2", ApiErrorCode="", ReadOnly=True),
            doc(None, SourceIPAddress="10.0.0.1", Username=123, EventName="x" * 513),
            doc(None, account="1002", SourceIPAddress="10.0.0.9"),
            doc(None, time_ms=T + DAY, EventName="Next")]
    out, owner = value_days.documents("traillog_server_log", docs)
    assert [d.source for d in out] == [
        # empty, over-long and non-digested fields are left out; numbers as a keyword field indexes
        # them; the text's words are cut to a bound
        {"AccountId": "1001", "Day": "2023.11.14", "Username": ["123"], "SourceIPAddress": ["10.0.0.1"],
         "ResourceIds": ["vsm-1", "vsm-2"], "Words": ["x" * 64]},
        {"AccountId": "1002", "Day": "2023.11.14", "SourceIPAddress": ["10.0.0.9"]},
        {"AccountId": "1001", "Day": "2023.11.15", "EventName": ["Next"], "Words": ["next"]}]
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
    assert set(mapping["properties"]) == {"AccountId", "Day", *value_days.FIELDS, value_days.WORDS}
    assert set(mapping["_source"]["excludes"]) == {*value_days.FIELDS, value_days.WORDS}


def test_the_words_of_the_text_are_digested():
    out, _ = value_days.documents("traillog_server_log", [
        doc(None, EventName="DescribeVsms", RequestParameters={"Name": "支付加密机-7"}),
        doc(None, EventName="DescribeVsms", ApiErrorMessage="Not found")])
    assert out[0].source["Words"] == sorted({"describevsms", "支 付", "付 加", "加 密", "密 机", "7", "not",
                                             "found"})


def test_ids_are_digested_only_when_their_time_does_not_place_their_event():
    placed = doc(uuid7(T).hex, RequestId=str(uuid7(T - 60_000)))
    late_request = doc(uuid7(T).hex, RequestId=str(uuid7(T - value_days.MAX_REQUEST_MS - 1)))
    foreign = doc("evt-1", RequestId="req-1")
    out, _ = value_days.documents("traillog_server_log", [placed, late_request, foreign])
    source = out[0].source
    assert source["EventId"] == ["evt-1"]
    assert source["RequestId"] == sorted(["req-1", late_request.source["Keys"][1].split("|")[2]])


def test_a_keyword_is_placed_by_its_words_and_as_an_identifier():
    start, end = T - 30 * DAY, T
    # not an identifier: its most telling word alone
    assert keyword_condition("支付加密机-77", start, end) == ((("Words", "77"),),)
    assert keyword_condition("支付加密机", start, end) == ((("Words", "密 机"),),)
    assert keyword_condition("机", start, end) is None                                    # any day can hold it
    single = keyword_condition("ResourceNotFound", start, end)
    assert single[0] == (("Words", "resourcenotfound"),)
    assert single[1:] == tuple(((f, "ResourceNotFound"),) for f in IDENTIFIER_FIELDS)    # could be an id
    minted = uuid7(T - 5 * DAY).hex
    placed = keyword_condition(minted, start, end)
    # a minted id: also any day its time names (within the range), as the event's EventId or RequestId
    assert placed[-1] == (value_days.day_pair(dt.date(2023, 11, 9)),)
    assert placed[1:-1] == tuple(((f, minted),) for f in IDENTIFIER_FIELDS)
    assert keyword_condition(uuid7(T + DAY).hex, start, end)[-1][0][0] != "Day"           # outside the range
    assert keyword_condition("--", start, end) == ()                                       # nothing can match


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
    first = [doc(None, SourceIPAddress="10.0.0.1", EventName="DescribeVsms")]
    out, owner = value_days.documents("traillog_server_log", first, known)
    known.add(k for d in out for k in value_days.keys_of(d))
    assert value_days.documents("traillog_server_log", [doc(None, SourceIPAddress="10.0.0.1",
                                                            EventName="DescribeVsms")], known) == ([], [None])
    out, owner = value_days.documents("traillog_server_log", [doc(None, SourceIPAddress="10.0.0.2",
                                                                   EventName="DescribeVsms", ApiErrorMessage="Oops")],
                                      known)
    assert [d.source for d in out] == [{"AccountId": "1001", "Day": "2023.11.14", "SourceIPAddress": ["10.0.0.2"],
                                        "Words": ["oops"]}]
    assert owner == [0]
    clock[0] += value_days.Known.KEEP_SECONDS          # remembered for a while only
    out, _ = value_days.documents("traillog_server_log", first, known)
    assert out and out[0].source["EventName"] == ["DescribeVsms"]
    known.add(k for d in out for k in value_days.keys_of(d))
    known.clear()
    assert value_days.documents("traillog_server_log", first, known)[0]
