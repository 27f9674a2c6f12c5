"""The record an event becomes in the search store (layers/audit/document.py): its account-scoped
keys and words, and the event itself as one string."""
import json

import pytest

from layers.audit import words
from layers.audit.document import KEYS, WORDS, content, family, scoped_key, to_event, to_record


def test_a_records_keys_are_its_values_scoped_to_its_account():
    rec = to_record({"EventId": "e1", "EventTime": 1, "AccountId": "100000000001", "EventName": "DescribeVsms",
                     "ReadOnly": True, "ResourceName": "vsm-1,vsm-2", "SourceIPAddress": "10.0.0.1"})
    keys = rec.fields[KEYS]
    assert "100000000001|EventName|DescribeVsms" in keys and "100000000001|ReadOnly|true" in keys
    assert {"100000000001|ResourceIds|vsm-1", "100000000001|ResourceIds|vsm-2"} <= set(keys)
    assert all(k.startswith("100000000001|") for k in keys)
    assert (rec.id, rec.time_ms, rec.account) == ("e1", 1, "100000000001")
    with pytest.raises(ValueError):      # an account id with the separator could spell another's keys
        scoped_key("1|EventName|x", "EventName", "y")


def test_a_records_words_are_its_texts_terms_scoped_to_its_account():
    event = {"EventId": "e1", "EventTime": 1, "AccountId": "100000000001", "Service": "cloudhsm",
             "EventName": "ModifyVsmAttributes", "RequestParameters": {"Name": "支付加密机-77"}}
    tokens = to_record(event).fields[WORDS].split()
    assert {"100000000001|modifyvsmattributes", "100000000001|77", "100000000001|加_密"} <= set(tokens)
    assert all(t.startswith("100000000001|") for t in tokens)
    assert sorted(words.unscoped(t) for t in tokens) == sorted(words.terms(words.normalize(content(event))))


def test_keys_hold_every_field_an_attribute_filters_on_and_every_identifier():
    from layers.audit.document import ID_FIELDS, IDENTIFIER_FIELDS, KEYED_FIELDS
    from layers.audit.query import ATTRIBUTES
    assert set(KEYED_FIELDS) == {f for f, _ in ATTRIBUTES.values()} | set(ID_FIELDS)
    assert set(IDENTIFIER_FIELDS) <= set(KEYED_FIELDS)


EVENT_EXAMPLE = {"EventId": "e2", "EventTime": 2, "AccountId": "100000000002", "EventName": "CreateUser",
                 "RequestParameters": {"UserName": "运维-1", "Tags": [{"TagKey": "env", "TagValue": ["prod"]}]},
                 "ReadOnly": False, "ErrorCode": 0}


def test_the_store_keeps_the_event_as_one_string_and_gives_it_back_as_emitted():
    rec = to_record(EVENT_EXAMPLE)
    assert isinstance(rec.source, str) and json.loads(rec.source) == EVENT_EXAMPLE
    assert to_event(rec.source) == EVENT_EXAMPLE
    events = family("traillog_server_log")
    assert (events.id_field, events.time_field, events.source_field) == ("EventId", "EventTime", "Event")
    assert set(rec.fields) == {*events.terms, *events.words}
