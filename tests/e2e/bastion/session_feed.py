"""Feeding the session-log queue in tests: messages sent as they are, then delivered to the
consumer by the pump (as the local stack would)."""
import json
from datetime import datetime, timezone

from infra.pump import Pump
from layers import aws


def deliver(stack) -> None:
    """Run the consumer until the session-log queue is empty."""
    source = next(s for s in stack.app.event_sources if s.name == "bastion_session_log")
    pump = Pump(stack.app)
    while pump.deliver_once(source):
        pass


def feed(stack, *messages) -> None:
    sqs = aws.client("sqs")
    url = stack.resources["BastionSessionLogQueue"]["QueueUrl"]
    for m in messages:
        sqs.send_message(QueueUrl=url, MessageBody=m if isinstance(m, str) else json.dumps(m))
    deliver(stack)


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def iso(ms_: int) -> str:
    """As the bastion API writes times (+08:00)."""
    from layers.bastion import times
    return times.iso(datetime.fromtimestamp(ms_ / 1000, timezone.utc))


def without_nulls(d: dict) -> dict:
    """The SDK's models list every field, unset ones as null."""
    return {k: v for k, v in d.items() if v is not None}
