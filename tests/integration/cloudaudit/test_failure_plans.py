"""The seed's failure plans (应急预案), done for real against a private osmem-server: the store
stops mid-stream, goes read-only, or comes back empty; the consumer crashes mid-batch. Events
wait on the queue, nothing is lost, and afterwards each is searchable exactly once."""
from collections import Counter

import pytest

from ca_support import Delivery, depth, ids_in_store, make_event, new_account, now_ms, send
from layers import aws
from layers.audit import indices
from layers.audit.document import family
from layers.audit.maintenance import rebuild_day
from layers.search.store import StoreUnavailable


def _events(account, n, start):
    return [make_event(account, start + i) for i in range(n)]


def _exactly_once(store, account, events):
    found = Counter(ids_in_store(store, account))
    assert set(found) == {e["EventId"] for e in events}
    assert set(found.values()) == {1}


def test_store_stopped_mid_stream_keeps_events_queued_until_it_is_back(
        osmem, queue, deliver, use_store, fast_retry, own_archive):
    use_store(osmem.store)
    account, t0 = new_account(), now_ms() - 60_000
    first, second = _events(account, 15, t0), _events(account, 25, t0 + 100)
    send(queue.url, first)
    delivery = deliver(queue.name)
    delivery.drain()
    assert len(ids_in_store(osmem.store, account)) == 15
    send(queue.url, second)
    osmem.freeze()                       # the store process stops answering mid-stream
    for _ in range(4):                   # more rounds than maxReceiveCount (3)
        delivery.once()
    assert depth(queue.url) == 25 and depth(queue.dlq_url) == 0
    osmem.thaw()
    delivery.drain()
    assert depth(queue.url) == 0 and depth(queue.dlq_url) == 0
    _exactly_once(osmem.store, account, first + second)


def test_read_only_store_keeps_events_queued_until_the_block_is_cleared(
        osmem, queue, deliver, use_store, fast_retry, own_archive):
    use_store(osmem.store)
    account, t0 = new_account(), now_ms() - 60_000
    before, during = _events(account, 10, t0), _events(account, 30, t0 + 1000)
    send(queue.url, before)
    delivery = deliver(queue.name)
    delivery.drain()
    osmem.store.set_read_only(True)      # cluster.blocks.read_only_allow_delete, as when the disk is full
    send(queue.url, during)
    for _ in range(4):
        delivery.once()
    assert depth(queue.url) == 30 and depth(queue.dlq_url) == 0
    assert len(ids_in_store(osmem.store, account)) == 10
    osmem.store.set_read_only(False)     # the runbook clears the block
    delivery.drain()
    assert depth(queue.url) == 0 and depth(queue.dlq_url) == 0
    _exactly_once(osmem.store, account, before + during)


def test_store_restarted_empty_is_rebuilt_from_the_archive_and_the_queue(
        osmem, queue, deliver, use_store, fast_retry, own_archive):
    use_store(osmem.store)
    account, t0 = new_account(), now_ms() - 60_000
    indexed, queued = _events(account, 20, t0), _events(account, 20, t0 + 500)
    send(queue.url, indexed)
    delivery = deliver(queue.name)
    delivery.drain()
    osmem.stop()                          # the in-memory store loses everything
    send(queue.url, queued)
    for _ in range(3):
        delivery.once()
    assert depth(queue.url) == 20
    osmem.start()                         # back, empty, on the same address
    delivery.drain()
    for day in {indices.day_of(e["EventTime"]) for e in indexed}:
        rebuild_day(osmem.store, day)     # `guardzone audit rebuild --day ...`
    _exactly_once(osmem.store, account, indexed + queued)


class Crash(BaseException):
    """The consumer process dies (not an error the handler could catch)."""


def test_consumer_crash_mid_batch_loses_nothing(stack, osmem, queue, use_store, fast_retry, own_archive):
    account, t0 = new_account(), now_ms() - 60_000
    events = _events(account, 10, t0)
    send(queue.url, events)
    real = osmem.store

    class CrashAfterHalf:
        """Writes half of the batch, then the process dies before anything is acknowledged."""
        url = real.url

        def write(self, family, records):
            real.write(family, records[: len(records) // 2])
            raise Crash()

        def __getattr__(self, name):
            return getattr(real, name)

    received = []
    handler = stack.app.handler_map["audit_indexer"]

    def recording(event, context):
        received.extend(r["receiptHandle"] for r in event["Records"])
        return handler(event, context)

    delivery = Delivery(stack, queue.name, handler_fn=recording)
    use_store(CrashAfterHalf())
    with pytest.raises(Crash):
        delivery.once()
    assert 0 < len(ids_in_store(real, account)) < 10
    # Nothing was acknowledged: once the visibility timeout lapses the whole batch is back.
    sqs = aws.client("sqs")
    for handle in received:
        sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=handle, VisibilityTimeout=0)
    assert depth(queue.url) == 10
    use_store(real)
    delivery.drain()
    assert depth(queue.url) == 0
    _exactly_once(real, account, events)


def test_unreachable_store_is_reported_as_unavailable(osmem):
    osmem.freeze()
    with pytest.raises(StoreUnavailable):
        osmem.store.days(family("traillog_server_log"))
