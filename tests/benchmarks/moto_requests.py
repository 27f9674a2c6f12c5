"""moto as the local stack runs it (infra/moto_dynamodb.py, infra/moto_sqs.py) beside moto as
shipped, in the same run: a DynamoDB query of one partition and a one-item transaction as the
table grows, and an SQS SendMessage as the queue grows; median ms each.

    .venv/bin/python tests/benchmarks/moto_requests.py [--items 10000] [--quick]

Goal: what a request costs does not grow with what the service holds (the stock figures do).
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from infra import services  # noqa: E402


def client(url: str, service: str = "dynamodb"):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def fill(ddb, start: int, stop: int) -> None:
    for i in range(start, stop):
        ddb.put_item(TableName="t", Item={"pk": {"S": f"p{i}"}, "sk": {"S": f"{i:08d}"}, "v": {"S": "x" * 200}})


def measure(ddb, rounds: int, tag: str) -> tuple:
    queries, writes = [], []
    for i in range(rounds):
        t = time.perf_counter()
        ddb.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": f"p{i}"}})
        queries.append(time.perf_counter() - t)
        t = time.perf_counter()
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "tx"}, "sk": {"S": f"{tag}-{i}"}},
                                                         "ConditionExpression": "attribute_not_exists(pk)"}}])
        writes.append(time.perf_counter() - t)
    return statistics.median(queries) * 1000, statistics.median(writes) * 1000


def sends(sqs, url: str, rounds: int) -> float:
    took = []
    for i in range(rounds):
        t = time.perf_counter()
        sqs.send_message(QueueUrl=url, MessageBody=f"event {i}")
        took.append(time.perf_counter() - t)
    return statistics.median(took) * 1000


def fill_queue(sqs, url: str, count: int) -> None:
    for start in range(0, count, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x" * 500}
                                                      for i in range(min(10, count - start))])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="2 000 items")
    args = parser.parse_args(argv)
    top = 2_000 if args.quick else args.items
    sizes = [n for n in (100, 1_000, 2_000, 5_000, 10_000, 20_000) if n < top] + [top]
    servers = {"stock moto": services.stock_moto_server().start(), "local stack's": services.moto_server().start()}
    try:
        clients = {name: client(s.url) for name, s in servers.items()}
        for ddb in clients.values():
            ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                   {"AttributeName": "sk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                        {"AttributeName": "sk", "KeyType": "RANGE"}])
        print(f"{'items':>7} | {'query ms: stock':>15} {'local stack':>11} | {'transaction ms: stock':>21} {'local stack':>11}")
        held = 0
        for size in sizes:
            figures = {}
            for name, ddb in clients.items():
                fill(ddb, held, size)
                figures[name] = measure(ddb, 30, str(size))
            held = size
            stock, ours = figures["stock moto"], figures["local stack's"]
            print(f"{size:>7} | {stock[0]:>15.2f} {ours[0]:>11.2f} | {stock[1]:>21.2f} {ours[1]:>11.2f}")
        queues = {}
        for name, s in servers.items():
            sqs = client(s.url, "sqs")
            queues[name] = (sqs, sqs.create_queue(QueueName="q")["QueueUrl"])
        print(f"\n{'messages':>8} | {'SendMessage ms: stock':>21} {'local stack':>11}")
        held = 0
        for size in sizes:
            figures = {}
            for name, (sqs, url) in queues.items():
                fill_queue(sqs, url, size - held)
                figures[name] = sends(sqs, url, 30)
            held = size + 30
            stock, ours = figures["stock moto"], figures["local stack's"]
            print(f"{size:>8} | {stock:>21.2f} {ours:>11.2f}")
    finally:
        for s in servers.values():
            s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
