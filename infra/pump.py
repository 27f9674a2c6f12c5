"""Lambda event sources for the local stack: `chalice local` serves HTTP only, so this delivers
SQS messages and fires schedules to the same Chalice-decorated functions, with Lambda-shaped
events. Delivery follows Lambda's rules: a batch whose handler raises is not deleted (the
messages come back after the visibility timeout, and the queue's redrive policy moves them to
the dead-letter queue after maxReceiveCount); a handler that returns {"batchItemFailures": [...]}
keeps only those.

Batches are gathered as Lambda's event source mapping gathers them: ReceiveMessage takes ten
at most, so a handler declared with a larger batch_size gets several receives' worth, until the
batch is full, the invocation payload limit is reached, or maximum_batching_window_in_seconds
has passed since its first message. `pollers` threads poll each queue (Lambda runs several
batches of a busy queue at once).
"""
import datetime as dt
import logging
import re
import threading
import time
import uuid
from typing import Optional

from chalice.app import ScheduledEventConfig, SQSEventConfig

from layers import aws, logs

log = logging.getLogger("guardzone.pump")
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
RECEIVE_MAX = 10                    # messages one ReceiveMessage returns at most
PAYLOAD_MAX = 6 * 1024 * 1024       # a Lambda invocation's payload
# Threads polling a queue in the local stack, by handler: the audit indexer's batches overlap
# (one gathers, or commits outside the GIL, while the other indexes), as Lambda runs several
# batches of a busy queue at once.
LOCAL_POLLERS = {"audit_indexer": 2}
IDLE_POLL_S = 0.05                  # between receives that found nothing, within a batching window


class LambdaContext:
    def __init__(self, name: str, timeout: int = 60) -> None:
        self.function_name = name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def schedule_seconds(expression) -> Optional[int]:
    text = expression if isinstance(expression, str) else expression.to_string()
    match = _RATE.match(text.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNIT[match.group(2).rstrip("s")]


def sqs_event(queue_arn: str, messages: list) -> dict:
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": m.get("MessageAttributes", {}),
        "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3] if queue_arn.count(":") >= 5 else "us-east-1",
    } for m in messages]}


def schedule_event(name: str) -> dict:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1", "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{name}"],
            "detail": {}}


class Pump:
    def __init__(self, app, *, schedule_scale: float = 1.0, wait_seconds: int = 1, pollers=1,
                 sqs=None) -> None:
        self.app = app
        self.scale = schedule_scale          # <1 fires schedules sooner (tests)
        self.wait_seconds = wait_seconds
        self.pollers = pollers               # threads polling each queue: a number, or {handler: number}
        self._stop = threading.Event()
        self._threads: list = []
        self._queues: dict = {}              # queue name -> (url, arn)
        self._sqs = sqs                      # an SQS client of its own (benchmarks); else the stack's

    def start(self) -> "Pump":
        for source in self.app.event_sources:
            if isinstance(source, SQSEventConfig):
                target = self._poll_queue
            elif isinstance(source, ScheduledEventConfig):
                target = self._run_schedule
            else:
                log.info("event source %s is not delivered locally", source.name)
                continue
            for i in range(self._pollers(source) if target == self._poll_queue else 1):
                t = threading.Thread(target=target, args=(source,), name=f"pump-{source.name}-{i}", daemon=True)
                t.start()
                self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.wait_seconds + 5)

    def _pollers(self, source) -> int:
        n = self.pollers.get(source.name, 1) if isinstance(self.pollers, dict) else self.pollers
        return max(1, n)

    # ---- SQS ----
    def deliver_once(self, source: SQSEventConfig, wait: int = 0, window: float = 0.0) -> int:
        """Gather one batch and hand it to the handler; returns how many messages were received.
        The batch takes what the queue holds now, up to the source's batch_size; with `window`
        (seconds), it takes what arrives within that time of its first message."""
        sqs = self._sqs or aws.client("sqs")
        url, arn = self._queue(sqs, source.queue)
        got = self._gather(sqs, url, source.batch_size, wait, window)
        if not got:
            return 0
        try:
            result = self.app.handler_map[source.name](sqs_event(arn, got), LambdaContext(source.name))
        except Exception as exc:
            log.error("%s failed (%s); its %d messages stay on the queue", source.name, logs.where(exc), len(got))
            return len(got)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])} \
            if isinstance(result, dict) else set()
        done = [m for m in got if m["MessageId"] not in failed]
        for i in range(0, len(done), RECEIVE_MAX):
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(j), "ReceiptHandle": m["ReceiptHandle"]} for j, m in enumerate(done[i:i + RECEIVE_MAX])])
        return len(got)

    def _gather(self, sqs, url: str, batch_size: int, wait: int, window: float) -> list:
        """Up to batch_size messages: receives until the batch is full or the payload limit is
        reached, or `window` seconds have passed since the first message (with no window: until a
        receive finds nothing new). A message received again meanwhile (its visibility timeout
        ran out) is in the batch once."""
        want = max(1, batch_size)
        batch: dict = {}
        size, deadline = 0, None
        while len(batch) < want and size < PAYLOAD_MAX:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(want - len(batch), RECEIVE_MAX),
                                      WaitTimeSeconds=wait if deadline is None else 0, AttributeNames=["All"],
                                      MessageAttributeNames=["All"]).get("Messages", [])
            if deadline is None:
                if not got:
                    break
                deadline = time.monotonic() + window
            new = [m for m in got if m["MessageId"] not in batch]
            batch.update((m["MessageId"], m) for m in got)
            size += sum(len(m["Body"]) for m in new)
            left = deadline - time.monotonic()
            if left <= 0 and (window > 0 or not new):
                break
            if not new and self._stop.wait(min(IDLE_POLL_S, left)):
                break
        return list(batch.values())

    def _queue(self, sqs, name: str) -> tuple:
        """(url, arn) of a queue, looked up once."""
        found = self._queues.get(name)
        if found is None:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            found = self._queues[name] = (url, arn)
        return found

    def _poll_queue(self, source: SQSEventConfig) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_once(source, wait=self.wait_seconds,
                                  window=getattr(source, "maximum_batching_window_in_seconds", 0) or 0)
            except Exception as exc:
                log.warning("polling %s: %s", source.queue, type(exc).__name__)
                self._queues.pop(source.queue, None)    # it may have been made again elsewhere
                self._stop.wait(1.0)

    # ---- schedules ----
    def fire(self, name: str):
        return self.app.handler_map[name](schedule_event(name), LambdaContext(name))

    def _run_schedule(self, source: ScheduledEventConfig) -> None:
        seconds = schedule_seconds(source.schedule_expression)
        if seconds is None:
            log.info("schedule %s (%s) is fired on demand only", source.name, source.schedule_expression)
            return
        while not self._stop.wait(seconds * self.scale):
            try:
                self.fire(source.name)
            except Exception as exc:
                log.error("scheduled function %s failed (%s)", source.name, logs.where(exc))
