"""The pump gathers batches larger than one ReceiveMessage (ten) as Lambda's event source mapping
does: up to batch_size, within maximum_batching_window_in_seconds."""
import threading
import time
import uuid

from chalice import Chalice

from infra.pump import Pump
from layers import aws


def consumer(queue: str, batch_size: int, window: int = 0):
    app = Chalice(app_name="pumpbatches")
    batches: list = []

    @app.on_sqs_message(queue=queue, batch_size=batch_size, maximum_batching_window_in_seconds=window)
    def consume(event):
        batches.append([r.body for r in event])
    return app, batches


def new_queue(**attributes) -> tuple:
    name = f"pump-batches-{uuid.uuid4().hex[:8]}"
    return name, aws.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def send(url: str, bodies) -> None:
    bodies = list(bodies)
    for i in range(0, len(bodies), 10):
        aws.client("sqs").send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(j), "MessageBody": b} for j, b in enumerate(bodies[i:i + 10])])


def test_a_batch_gathers_several_receives_up_to_its_size(stack):
    name, url = new_queue()
    app, batches = consumer(name, batch_size=25)
    send(url, (str(i) for i in range(32)))
    pump = Pump(app)
    assert pump.deliver_once(app.event_sources[0]) == 25
    assert pump.deliver_once(app.event_sources[0]) == 7
    assert pump.deliver_once(app.event_sources[0]) == 0
    assert [len(b) for b in batches] == [25, 7]
    assert sorted(int(b) for batch in batches for b in batch) == list(range(32))


def test_the_window_waits_for_messages_sent_after_the_first(stack):
    name, url = new_queue()
    app, batches = consumer(name, batch_size=50, window=1)
    send(url, ["first"])
    later = threading.Timer(0.3, send, args=(url, ["second", "third"]))
    later.start()
    started = time.monotonic()
    got = Pump(app).deliver_once(app.event_sources[0], window=app.event_sources[0].maximum_batching_window_in_seconds)
    later.join()
    assert got == 3 and sorted(batches[0]) == ["first", "second", "third"]
    assert time.monotonic() - started >= 1.0


def test_a_message_received_again_while_gathering_is_in_the_batch_once(stack):
    name, url = new_queue(VisibilityTimeout="0")      # visible again at once
    app, batches = consumer(name, batch_size=30)
    send(url, ["a", "b", "c"])
    Pump(app).deliver_once(app.event_sources[0])
    assert sorted(batches[0]) == ["a", "b", "c"]
