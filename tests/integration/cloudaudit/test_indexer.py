"""The indexer: daily partitions, EventId as record id, partial batch failures, the dead-letter
queue and its re-drive, and the raw archive."""
import gzip
import json
from collections import Counter

from ca_support import depth, ids_in_store, make_event, new_account, now_ms, send
from layers import aws
from layers.audit import indices
from layers.audit.archive import Archive
from layers.audit.config import audit_settings
from layers.audit.document import family
from layers.audit.indexer import Indexer, Message
from layers.audit.maintenance import rebuild_day, redrive
from layers.gateway.audit_message import pack
from layers.search.default import default_store
from layers.search.opensearch import OpenSearchStore
from layers.search.store import ItemResult

NAME = "traillog_server_log"


def test_events_land_in_the_daily_partition_of_their_time(stack, queue, deliver, own_archive):
    account = new_account()
    yesterday = now_ms() - 86_400_000
    events = [make_event(account, yesterday), make_event(account, now_ms() - 1000)]
    send(queue.url, events)
    deliver(queue.name).drain()
    store = default_store()
    assert ids_in_store(store, account) == [e["EventId"] for e in reversed(events)]
    assert {indices.day_of(e["EventTime"]) for e in events} <= set(store.days(family(NAME)))
    if not isinstance(store, OpenSearchStore):
        return
    # on OpenSearch, through the family's template
    mapping = store.client.indices.get_mapping(index=indices.index_for(NAME, events[0]["EventTime"]))
    props = next(iter(mapping.values()))["mappings"]["properties"]
    assert props["EventId"]["type"] == "keyword" and props["EventTime"]["type"] == "date"
    assert props["Words"]["type"] == "text" and props["AccountId"]["type"] == "keyword"


def test_a_redelivered_event_is_not_indexed_twice(stack, queue, deliver, own_archive):
    account = new_account()
    event = make_event(account, now_ms())
    send(queue.url, [event, event])
    deliver(queue.name).drain()
    send(queue.url, [event])
    deliver(queue.name).drain()
    assert ids_in_store(default_store(), account) == [event["EventId"]]


def test_only_failed_messages_come_back_and_poison_goes_to_the_dead_letter_queue(
        stack, queue, deliver, fast_retry, own_archive):
    account = new_account()
    good = [make_event(account, now_ms() - i) for i in range(5)]
    send(queue.url, good + ["not json", json.dumps({"EventId": "no-time"})])
    delivery = deliver(queue.name)
    assert delivery.once() == 7                       # one batch: 5 indexed, 2 poison
    assert sorted(ids_in_store(default_store(), account)) == sorted(e["EventId"] for e in good)
    assert depth(queue.url) == 2                      # only the failed ones are left
    delivery.drain()                                  # they fail until maxReceiveCount, then go
    assert depth(queue.url) == 0 and depth(queue.dlq_url) == 2
    moved = redrive(queue.dlq_url, queue.url)         # `guardzone audit redrive`
    assert moved == 2 and depth(queue.dlq_url) == 0 and depth(queue.url) == 2


def test_a_message_of_several_events_is_indexed_and_its_bad_lines_go_apart_to_the_dead_letter_queue(
        stack, queue, deliver, fast_retry, own_archive):
    account = new_account()
    good = [make_event(account, now_ms() - i) for i in range(4)]
    lines = [json.dumps(good[0]), "not json", json.dumps(good[1]), json.dumps({"EventId": "no-time"}),
             json.dumps(good[2]), json.dumps(good[3])]
    send(queue.url, [pack(lines), pack(["{}", "{}"])[:-12]])     # the second cannot be unpacked
    delivery = deliver(queue.name)
    assert delivery.once() == 2
    assert sorted(ids_in_store(default_store(), account)) == sorted(e["EventId"] for e in good)
    got = aws.client("sqs").receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10,
                                            VisibilityTimeout=0)["Messages"]
    assert sorted(m["Body"] for m in got if not m["Body"].startswith("H4sI")) == sorted([lines[1], lines[3]])
    delivery.drain()                                  # the two lines apart, and the unreadable message
    assert depth(queue.url) == 0 and depth(queue.dlq_url) == 3


def test_in_a_message_of_several_events_a_transient_failure_brings_all_back_and_a_rejection_goes_apart(
        stack, own_archive, monkeypatch):
    account = new_account()
    events = [make_event(account, now_ms() - i) for i in range(4)]
    verdicts = {events[1]["EventId"]: (False, False), events[3]["EventId"]: (False, True)}

    class Rejecting:
        url = "memory://rejecting"

        def install(self, families):
            pass

        def write(self, family, records):
            return [ItemResult(r.id, verdicts.get(r.id, (True,))[0], transient=verdicts.get(r.id, (True, False))[1],
                               error="refused") for r in records]

    body = lambda evs: pack([json.dumps(e) for e in evs])   # noqa: E731
    out = Indexer(Rejecting()).process([Message("a", body(events[:3])), Message("b", body(events[2:]))])
    assert (out.succeeded, out.transient, out.poison) == (["a"], ["b"], [])
    assert out.split == {"a": [json.dumps(events[1])]}


def test_a_batch_is_stored_a_chunk_at_a_time_and_an_outage_brings_back_only_its_chunk(
        stack, own_archive, monkeypatch):
    import layers.audit.indexer as indexer
    monkeypatch.setattr(indexer, "CHUNK_EVENTS", 3)
    account = new_account()
    messages = [Message(str(i), pack([json.dumps(make_event(account, now_ms() - 2 * i - j)) for j in range(2)]))
                for i in range(5)]
    writes = []

    class DownOnSecondWrite:
        url = "memory://flaky"

        def install(self, families):
            pass

        def write(self, family, records):
            writes.append(len(records))
            if len(writes) == 2:
                raise indexer.StoreUnavailable("down")
            return [ItemResult(r.id, True) for r in records]

    out = Indexer(DownOnSecondWrite()).process(messages)
    assert writes == [4, 4, 2]                          # two messages (4 events) a chunk
    assert (sorted(out.succeeded), sorted(out.transient)) == (["0", "1", "4"], ["2", "3"])


def test_dead_lettered_events_are_indexed_after_the_redrive(stack, queue, fast_retry, own_archive):
    account = new_account()
    event = make_event(account, now_ms())
    aws.client("sqs").send_message(QueueUrl=queue.dlq_url, MessageBody=json.dumps(event))
    assert redrive(queue.dlq_url, queue.url) == 1
    from ca_support import Delivery
    Delivery(stack, queue.name).drain()
    assert ids_in_store(default_store(), account) == [event["EventId"]]


def test_mapping_rejections_are_poison_and_store_outages_transient(stack, own_archive):
    account = new_account()
    events = [make_event(account, now_ms() - i) for i in range(3)] + [make_event(new_account(), now_ms(),
                                                                                   source_ip="10.9.9.3")]
    verdicts = {events[0]["EventId"]: (False, False), events[1]["EventId"]: (False, True)}

    class Rejecting:
        url = "memory://rejecting"

        def install(self, families):
            pass

        def write(self, family, records):
            out = []
            for r in records:
                ok, transient = verdicts.get(r.id, (True, False))
                out.append(ItemResult(r.id, ok, transient=transient, error="" if ok else "refused"))
            return out

    out = Indexer(Rejecting()).process([Message(str(i), json.dumps(e)) for i, e in enumerate(events)])
    assert (out.poison, out.transient, sorted(out.succeeded)) == (["0"], ["1"], ["2", "3"])
    assert out.errors["0"] == "refused"


def test_every_event_is_archived_raw_as_daily_gzip_ndjson_and_a_day_rebuilds_from_it(
        stack, queue, deliver, osmem, own_archive):
    account = new_account()
    t = now_ms() - 5000
    events = [make_event(account, t + i, params={"Name": "加密机"}) for i in range(12)]
    send(queue.url, events)
    deliver(queue.name).drain()
    archive = Archive()
    day = indices.day_of(t)
    keys = list(archive.keys(day))
    assert keys and all(k.startswith(f"{audit_settings().archive_prefix}/{day:%Y.%m.%d}/") and k.endswith(".ndjson.gz")
                        for k in keys)
    raw = gzip.decompress(aws.client("s3").get_object(Bucket=archive.bucket, Key=keys[0])["Body"].read())
    first = json.loads(raw.splitlines()[0])
    assert first["AccountId"] == account and first["RequestParameters"] == {"Name": "加密机"}
    assert not {"Keys", "Words", "Content"} & set(first)          # the event as emitted, not its document
    assert day in archive.days()
    result = rebuild_day(osmem.store, day)            # into an empty store
    assert result.read == result.stored == 12 and result.failed == 0
    again = rebuild_day(osmem.store, day, fresh=True)
    assert again.stored == 12
    assert Counter(ids_in_store(osmem.store, account)) == Counter(e["EventId"] for e in events)


def test_archive_lifecycle_is_prefix_scoped_and_keeps_other_rules(stack):
    s3 = aws.client("s3")
    bucket = f"ca-lifecycle-{new_account()}"
    s3.create_bucket(Bucket=bucket)
    other = {"ID": "recordings", "Status": "Enabled", "Filter": {"Prefix": "sessions/"}, "Expiration": {"Days": 30}}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [other]})
    archive = Archive(bucket=bucket, prefix="traillog")
    archive.ensure_lifecycle(400)
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["recordings"]["Expiration"]["Days"] == 30
    ours = rules["cloudaudit-archive-expiry"]
    assert ours["Expiration"]["Days"] == 400 and ours["Filter"]["Prefix"] == "traillog/"
    archive.ensure_lifecycle(0)
    assert [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]] == ["recordings"]
