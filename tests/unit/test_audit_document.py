"""The document an event becomes in the store (layers/audit/document.py): its account-scoped keys."""
import pytest

from layers.audit.document import CONTENT, EVENT, KEYS, WORDS, content, scoped_key, to_document, to_event
from layers.audit.templates import templates


def test_a_documents_keys_are_its_values_scoped_to_its_account():
    doc = to_document({"EventId": "e1", "EventTime": 1, "AccountId": "100000000001", "EventName": "DescribeVsms",
                       "ReadOnly": True, "ResourceName": "vsm-1,vsm-2", "SourceIPAddress": "10.0.0.1"})
    keys = doc[KEYS]
    assert "100000000001|EventName|DescribeVsms" in keys and "100000000001|ReadOnly|true" in keys
    assert {"100000000001|ResourceIds|vsm-1", "100000000001|ResourceIds|vsm-2", "100000000001|ResourceIds|vsm-2"} <= set(keys)
    assert all(k.startswith("100000000001|") for k in keys)
    assert KEYS not in to_event(doc)
    with pytest.raises(ValueError):      # an account id with the separator could spell another's keys
        scoped_key("1|EventName|x", "EventName", "y")


def test_a_documents_words_are_its_texts_terms_scoped_to_its_account_and_the_digest_reads_them_back():
    from layers.audit import value_days, words
    from layers.audit.store import Doc
    event = {"EventId": "e1", "EventTime": 1, "AccountId": "100000000001", "Service": "cloudhsm",
             "EventName": "ModifyVsmAttributes", "RequestParameters": {"Name": "支付加密机-77"}}
    tokens = to_document(event)[WORDS].split()
    assert {"100000000001|modifyvsmattributes", "100000000001|77", "100000000001|加_密"} <= set(tokens)
    assert all(t.startswith("100000000001|") for t in tokens)
    assert sorted(words.unscoped(t) for t in tokens) == sorted(words.terms(words.normalize(content(event))))
    digest, _ = value_days.documents("traillog_server_log", [Doc("traillog_server_log-1970.01.01", "e1", to_document(event))])
    assert digest[0].source[value_days.WORDS] == sorted(words.terms(words.normalize(content(event))))
    assert WORDS not in to_event(to_document(event))


def test_a_documents_keys_name_the_hour_of_its_event_and_the_digest_leaves_it_out():
    from layers.audit import value_days
    from layers.audit.store import Doc
    hour = 493_000                                            # hours since 1970
    times = (hour * 3_600_000, hour * 3_600_000 + 3_599_999, (hour + 1) * 3_600_000)
    keys = [to_document({"EventId": f"e{t}", "EventTime": t, "AccountId": "100000000001"})[KEYS] for t in times]
    assert [[k for k in ks if "|Hour|" in k] for ks in keys] == [
        ["100000000001|Hour|493000"], ["100000000001|Hour|493000"], ["100000000001|Hour|493001"]]
    docs = [Doc("traillog_server_log-2026.03.29", f"e{t}", to_document({"EventId": f"e{t}", "EventTime": t,
                                                                          "AccountId": "100000000001", "EventName": "X"}))
            for t in times]
    digest, _ = value_days.documents("traillog_server_log", docs)
    assert digest and all("Hour" not in d.source and "493000" not in str(d.source) for d in digest)


def test_keys_hold_every_field_an_attribute_filters_on_and_every_identifier():
    from layers.audit.document import ID_FIELDS, IDENTIFIER_FIELDS, KEYED_FIELDS
    from layers.audit.query import ATTRIBUTES
    assert set(KEYED_FIELDS) == {f for f, _ in ATTRIBUTES.values()} | set(ID_FIELDS)
    assert set(IDENTIFIER_FIELDS) <= set(KEYED_FIELDS)


EVENT_EXAMPLE = {"EventId": "e2", "EventTime": 2, "AccountId": "100000000002", "EventName": "CreateUser",
                 "RequestParameters": {"UserName": "运维-1", "Tags": [{"TagKey": "env", "TagValue": ["prod"]}]},
                 "ReadOnly": False, "ErrorCode": 0}


def test_the_store_keeps_the_event_as_one_string_and_gives_it_back_as_emitted():
    doc = to_document(EVENT_EXAMPLE)
    mapping = templates()["traillog_server_log"]["template"]["mappings"]
    kept = set(doc) - set(mapping["_source"]["excludes"])
    assert kept == {EVENT} and isinstance(doc[EVENT], str)
    assert EVENT not in mapping["properties"]                 # not indexed: only read back
    assert to_event({EVENT: doc[EVENT]}) == EVENT_EXAMPLE


def test_a_document_written_with_the_events_fields_at_the_top_level_still_reads_as_the_event():
    legacy = {**EVENT_EXAMPLE, KEYS: ["100000000002|EventName|CreateUser"], CONTENT: "CreateUser"}
    assert to_event(legacy) == EVENT_EXAMPLE
