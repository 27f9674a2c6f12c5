"""moto's SQS as the local stack runs it (infra/moto_sqs.py) answers as moto as shipped does: the
same attributes of every kind of queue, and content-based deduplication on FIFO queues."""
import json

import boto3
import pytest

from infra import services

TIMES = {"CreatedTimestamp", "LastModifiedTimestamp"}


@pytest.fixture(scope="module")
def both():
    servers = [services.stock_moto_server().start(), services.moto_server().start()]
    try:
        yield [boto3.client("sqs", endpoint_url=s.url, region_name="us-east-1", aws_access_key_id="local",
                            aws_secret_access_key="local") for s in servers]
    finally:
        for s in servers:
            s.stop()


def _queues(sqs):
    """Queues of each kind, with messages visible, in flight and delayed; their attributes."""
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    plain = sqs.create_queue(QueueName="plain", Attributes={
        "VisibilityTimeout": "600", "Policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})})["QueueUrl"]
    for i in range(5):
        sqs.send_message(QueueUrl=plain, MessageBody=f"m{i}")
    sqs.send_message(QueueUrl=plain, MessageBody="later", DelaySeconds=900)
    sqs.receive_message(QueueUrl=plain, MaxNumberOfMessages=2)
    fifo = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")     # the second is a duplicate
    strict = sqs.create_queue(QueueName="strict.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sqs.send_message(QueueUrl=strict, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d")
    sealed = sqs.create_queue(QueueName="sealed", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
    answers = {}
    for url in (dlq, plain, fifo, strict, sealed):
        every = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        some = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                     "ApproximateNumberOfMessagesNotVisible",
                                                                     "ApproximateNumberOfMessagesDelayed"])
        answers[url.rsplit("/", 1)[1]] = ({k: v for k, v in every.items() if k not in TIMES}, some["Attributes"])
    return answers


def test_every_queue_answers_as_stock_moto_does(both):
    stock, ours = (_queues(sqs) for sqs in both)
    assert ours == stock
    assert ours["plain"][1] == {"ApproximateNumberOfMessages": "3", "ApproximateNumberOfMessagesNotVisible": "2",
                                "ApproximateNumberOfMessagesDelayed": "1"}
    assert ours["q.fifo"][1]["ApproximateNumberOfMessages"] == "1"      # deduplicated by content
    assert ours["sealed"][0]["KmsMasterKeyId"] == "alias/aws/sqs"


def test_a_fifo_queue_without_content_deduplication_still_asks_for_an_id(both):
    errors = []
    for sqs in both:
        url = sqs.create_queue(QueueName="ids.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        with pytest.raises(sqs.exceptions.ClientError) as raised:
            sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
        errors.append(raised.value.response["Error"])
        with pytest.raises(sqs.exceptions.QueueNameExists):     # created again otherwise: refused
            sqs.create_queue(QueueName="ids.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "5"})
    assert errors[0] == errors[1] and "MessageDeduplicationId" in errors[1]["Message"]
