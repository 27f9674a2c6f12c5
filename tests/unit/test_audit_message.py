"""Audit queue messages (layers/gateway/audit_message.py): one event as it is, several packed."""
import base64
import gzip
import json

import pytest

from layers.gateway.audit_message import MAX_UNPACKED_BYTES, BadMessage, lines_of, pack


def test_one_event_is_its_own_json_and_several_are_packed_and_read_back_in_order():
    bodies = [json.dumps({"EventId": f"e{i}", "Name": "支付加密机"}, ensure_ascii=False) for i in range(300)]
    assert pack(bodies[:1]) == bodies[0] and lines_of(bodies[0]) == bodies[:1]
    packed = pack(bodies)
    assert packed.startswith("H4sI") and packed.isascii() and len(packed) < len("\n".join(bodies)) / 5
    assert lines_of(packed) == bodies
    assert lines_of("a\nb") == ["a", "b"]                 # plain lines are lines too


def test_a_packed_message_that_cannot_be_read_or_expands_too_far_is_refused():
    good = pack(["{}", "{}"])
    for bad in (good[:-8], "H4sI!!!!", "H4sI" + good[4:].upper(),
                base64.b64encode(gzip.compress(b"\xff\xfe" * 10)).decode()):
        with pytest.raises(BadMessage):
            lines_of(bad)
    bomb = base64.b64encode(gzip.compress(b"{}\n" * (MAX_UNPACKED_BYTES // 3 + 10))).decode()
    assert len(bomb) < 100_000
    with pytest.raises(BadMessage, match="expands"):
        lines_of(bomb)
