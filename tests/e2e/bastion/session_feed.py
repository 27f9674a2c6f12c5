"""Feeding the session-log queue in tests: messages sent as they are, then delivered to the
consumer by the pump (as the local stack would)."""
import json
import time
from datetime import datetime, timezone

from infra.pump import Pump
from layers import aws


def deliver(stack) -> None:
    """Run the consumer until the session-log queue is empty."""
    source = next(s for s in stack.app.event_sources if s.name == "bastion_session_log")
    pump = Pump(stack.app)
    while pump.deliver_once(source):
        pass


def settle(stack, owner: str, timeout: float = 60.0) -> None:
    """deliver(), once the account's gateway sessions have all ended. The gateway passes the exit to
    the operator's client first and then ends the session (its last commands to the queue, the
    recording completed, the session record closed), so a client sees its session closed a moment
    before all of that is written."""
    from layers.bastion import sessions
    deadline = time.monotonic() + timeout
    while any(s.get("Status") == 1 for s in sessions.all_pending(owner)):
        if time.monotonic() > deadline:
            raise AssertionError(f"the sessions of {owner} did not end within {timeout:.0f} s")
        time.sleep(0.05)
    deliver(stack)


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
