"""Location (IP 归属地) from the data set geoip2fast ships, computed once when an event becomes a
record (layers/audit/location.py, document.to_record)."""
import json

from layers.audit.document import KEYS, to_record
from layers.audit.location import INTRANET, event_location, location_of


def test_public_private_and_unknown_addresses():
    assert location_of("114.114.114.114") == "China" and location_of("8.8.8.8") == "United States"
    assert location_of("2400:da00::6666") == "China" and location_of("::ffff:8.8.8.8") == "United States"
    for private in ("10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "::1", "fe80::1", "100.64.1.1",
                    "169.254.1.1"):
        assert location_of(private) == INTRANET, private
    for unknown in ("", None, "not-an-ip", "999.1.1.1", 42):
        assert location_of(unknown) == "", unknown


def test_a_record_stores_its_location_once_and_is_keyed_by_it():
    event = {"EventId": "e1", "EventTime": 1, "AccountId": "100000000001", "SourceIPAddress": "8.8.8.8"}
    line = json.dumps(event) + "\n"
    for rec in (to_record(event), to_record(event, line)):          # encoded here, or spliced into its line
        assert json.loads(rec.source) == {**event, "Location": "United States"}
        assert "100000000001|Location|United States" in rec.fields[KEYS]
    carried = {**event, "Location": "China"}                        # an event that carries one keeps it
    assert json.loads(to_record(carried, json.dumps(carried)).source)["Location"] == "China"
    assert event_location(carried) == "China" and event_location(event) == "United States"
    no_ip = {"EventId": "e2", "EventTime": 1, "AccountId": "100000000001"}
    assert to_record(no_ip, json.dumps(no_ip)).source == json.dumps(no_ip)     # nothing to add
