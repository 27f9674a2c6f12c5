"""The local pump delivers SQS batches and schedules to Chalice-decorated functions the way
Lambda would; infra/resources.json is what the local stack creates."""
import json

from chalice import Chalice

from infra import resources
from infra.pump import Pump, schedule_seconds
from layers import aws


def make_app(queue: str, calls: list):
    app = Chalice(app_name="pumptest")

    @app.on_sqs_message(queue=queue, batch_size=10)
    def consume(event):
        bodies = [r.body for r in event]
        calls.append(bodies)
        failed = [r.to_dict()["messageId"] for r in event if r.body.startswith("fail")]
        if any(b == "crash" for b in bodies):
            raise RuntimeError("consumer crashed")
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}

    @app.schedule("rate(8 hours)")
    def tick(event):
        calls.append(("tick", event.to_dict()["detail-type"]))
        return "ticked"
    return app


def test_sqs_batches_partial_failures_and_crashes(stack):
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="pump-test", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    calls: list = []
    app = make_app("pump-test", calls)
    source = app.event_sources[0]
    pump = Pump(app)
    for body in ("a", "fail-b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    delivered = 0
    while delivered < 3:
        delivered += pump.deliver_once(source)
    assert sorted(b for batch in calls for b in batch) == ["a", "c", "fail-b"]
    # Only the failed message is back.
    calls.clear()
    assert pump.deliver_once(source) == 1 and calls == [["fail-b"]]
    # A handler that raises leaves the whole batch on the queue.
    sqs.purge_queue(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="crash")
    pump.deliver_once(source)
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in left] == ["crash"]


def test_schedules_fire_with_a_scheduled_event(stack):
    calls: list = []
    app = make_app("pump-test-2", calls)
    assert Pump(app).fire("tick") == "ticked"
    assert calls == [("tick", "Scheduled Event")]
    assert schedule_seconds("rate(8 hours)") == 8 * 3600 and schedule_seconds("rate(1 minute)") == 60
    assert schedule_seconds("cron(0 12 * * ? *)") is None


def test_local_stack_creates_what_the_template_defines(stack):
    template = resources.template()["Resources"]
    made = stack.resources
    assert set(made) == set(template)
    tables = aws.client("dynamodb").list_tables()["TableNames"]
    for logical, spec in template.items():
        kind = spec["Type"]
        if kind == "AWS::DynamoDB::Table":
            assert made[logical]["Name"] in tables
        elif kind == "AWS::SQS::Queue":
            assert made[logical]["QueueUrl"]
        elif kind == "AWS::S3::Bucket":
            aws.client("s3").head_bucket(Bucket=made[logical]["BucketName"])
    attrs = aws.client("sqs").get_queue_attributes(QueueUrl=made["AuditQueue"]["QueueUrl"],
                                                   AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"] == made["AuditDeadLetterQueue"]["Arn"]
    ttl = aws.client("dynamodb").describe_time_to_live(TableName=made["ControlTable"]["Name"])
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires"


def test_an_opensearch_store_is_made_ready_for_every_family(stack, tmp_path):
    from infra import services
    from layers.search.families import all_families
    from layers.search.opensearch import OpenSearchStore
    osmem = services.opensearch_server().start()
    try:
        store = OpenSearchStore(osmem.url)
        store.install(all_families())
        names = {t["name"] for t in store.client.indices.get_index_template()["index_templates"]}
        assert {f.prefix for f in all_families()} <= names
    finally:
        osmem.stop()
