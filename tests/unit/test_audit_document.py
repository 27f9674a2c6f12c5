"""The document an event becomes in the store (layers/audit/document.py): its account-scoped keys."""
import pytest

from layers.audit.document import KEYS, scoped_key, to_document, to_event


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


def test_keys_hold_every_field_an_attribute_filters_on_and_every_identifier():
    from layers.audit.document import ID_FIELDS, IDENTIFIER_FIELDS, KEYED_FIELDS
    from layers.audit.query import ATTRIBUTES
    assert set(KEYED_FIELDS) == {f for f, _ in ATTRIBUTES.values()} | set(ID_FIELDS)
    assert set(IDENTIFIER_FIELDS) <= set(KEYED_FIELDS)
