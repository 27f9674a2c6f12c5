"""Time-ordered ids (layers/timeids.py) and what CloudAudit reads from them."""
import uuid

from layers.audit.query import MAX_REQUEST_MS, minted_window
from layers.timeids import minted_ms, uuid7

T = 1_790_000_000_123


def test_uuid7_is_a_version_7_uuid_carrying_its_millisecond():
    u = uuid7(T)
    assert u.version == 7 and u.variant == uuid.RFC_4122
    assert minted_ms(str(u)) == minted_ms(u.hex) == T
    assert uuid7(T) != uuid7(T)                                      # random below the millisecond
    assert str(uuid7(T)) < str(uuid7(T + 1))                         # ordered by time


def test_other_strings_carry_no_time():
    for other in (str(uuid.uuid4()), uuid.uuid4().hex, "not-an-id", "", "AKIDexample"):
        assert minted_ms(other) is None


def test_an_exact_id_lookup_narrows_the_range_and_anything_else_does_not():
    event_id, request_id = uuid7(T).hex, str(uuid7(T - 5))
    assert minted_window([("EventId", event_id)]) == (T, T)
    assert minted_window([("RequestId", request_id)]) == (T - 5, T - 5 + MAX_REQUEST_MS)
    assert minted_window([("RequestId", request_id), ("EventId", event_id)]) == (T, T)     # keys AND
    two = minted_window([("EventId", uuid7(T).hex), ("EventId", uuid7(T + 86_400_000).hex)])
    assert two == (T, T + 86_400_000)                                                     # values OR
    assert minted_window([("EventId", event_id), ("EventId", "older-id")]) is None
    assert minted_window([("EventId", event_id)], "fuzzy") is None
    assert minted_window([("EventName", "DescribeVsms")]) is None
