"""moto's DynamoDB as the local stack runs it (infra/moto_dynamodb.py: a query reads its partition
only, a failed transaction puts back the items it named) answers as moto as shipped does: each
test runs on both."""
import boto3
import pytest
from botocore.exceptions import ClientError

from infra import services


@pytest.fixture(scope="module", params=["local stack's moto", "stock moto"])
def ddb(request):
    moto = (services.moto_server() if request.param == "local stack's moto" else services.stock_moto_server()).start()
    try:
        yield boto3.client("dynamodb", endpoint_url=moto.url, region_name="us-east-1",
                           aws_access_key_id="local", aws_secret_access_key="local")
    finally:
        moto.stop()


def _table(ddb, name, range_key=True):
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if range_key:
        attrs.append({"AttributeName": "sk", "AttributeType": "N"})
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=attrs, KeySchema=keys,
                     GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}}])


def _query(ddb, **kw):
    items, start = [], None
    while True:
        page = ddb.query(**kw, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def test_a_query_answers_its_partition_in_range_order_page_by_page(ddb):
    _table(ddb, "parts")
    for p in ("b", "a", "c"):
        for i in (5, 1, 30, 2, 17):
            ddb.put_item(TableName="parts", Item={"pk": {"S": p}, "sk": {"N": str(i)}, "g": {"S": f"g{i % 2}"}})
    key = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}
    got = _query(ddb, TableName="parts", Limit=2, **key)
    assert [(i["pk"]["S"], int(i["sk"]["N"])) for i in got] == [("a", 1), ("a", 2), ("a", 5), ("a", 17), ("a", 30)]
    down = _query(ddb, TableName="parts", ScanIndexForward=False, **key)
    assert [int(i["sk"]["N"]) for i in down] == [30, 17, 5, 2, 1]
    ranged = ddb.query(TableName="parts", KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
                       ExpressionAttributeValues={":p": {"S": "c"}, ":lo": {"N": "2"}, ":hi": {"N": "17"}})["Items"]
    assert [int(i["sk"]["N"]) for i in ranged] == [2, 5, 17]
    assert ddb.query(TableName="parts", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "zz"}})["Items"] == []
    odd = _query(ddb, TableName="parts", IndexName="by-g", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": {"S": "g1"}})          # an index: every partition
    assert sorted((i["pk"]["S"], int(i["sk"]["N"])) for i in odd) == [(p, i) for p in "abc" for i in (1, 5, 17)]


def test_a_query_of_a_table_without_range_key(ddb):
    _table(ddb, "flat", range_key=False)
    for p in ("x", "y"):
        ddb.put_item(TableName="flat", Item={"pk": {"S": p}, "g": {"S": "g"}})
    got = ddb.query(TableName="flat", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "y"}})
    assert got["Items"] == [{"pk": {"S": "y"}, "g": {"S": "g"}}] and got["Count"] == 1


def test_a_failed_transaction_puts_back_every_item_it_named(ddb):
    _table(ddb, "tx")
    ddb.put_item(TableName="tx", Item={"pk": {"S": "k"}, "sk": {"N": "1"}, "g": {"S": "old"}, "n": {"N": "1"}})
    ddb.put_item(TableName="tx", Item={"pk": {"S": "k"}, "sk": {"N": "2"}, "g": {"S": "doomed"}})
    ddb.put_item(TableName="tx", Item={"pk": {"S": "other"}, "sk": {"N": "1"}, "g": {"S": "untouched"}})
    before = ddb.scan(TableName="tx")["Items"]
    writes = [
        {"Put": {"TableName": "tx", "Item": {"pk": {"S": "new"}, "sk": {"N": "9"}, "g": {"S": "new"}}}},
        {"Update": {"TableName": "tx", "Key": {"pk": {"S": "k"}, "sk": {"N": "1"}},
                    "UpdateExpression": "SET g = :g, n = n + :one",
                    "ExpressionAttributeValues": {":g": {"S": "changed"}, ":one": {"N": "1"}}}},
        {"Delete": {"TableName": "tx", "Key": {"pk": {"S": "k"}, "sk": {"N": "2"}}}},
    ]
    failing = {"ConditionCheck": {"TableName": "tx", "Key": {"pk": {"S": "other"}, "sk": {"N": "1"}},
                                  "ConditionExpression": "attribute_not_exists(pk)"}}
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(TransactItems=writes + [failing])
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in raised.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert sorted(map(str, ddb.scan(TableName="tx")["Items"])) == sorted(map(str, before))
    assert _query(ddb, TableName="tx", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "new"}}) == []
    # the same writes, nothing failing: all of them apply
    ddb.transact_write_items(TransactItems=writes)
    after = {(i["pk"]["S"], i["sk"]["N"]): i for i in ddb.scan(TableName="tx")["Items"]}
    assert set(after) == {("k", "1"), ("other", "1"), ("new", "9")}
    assert after[("k", "1")]["g"] == {"S": "changed"} and after[("k", "1")]["n"] == {"N": "2"}


def test_a_malformed_transaction_is_refused_as_before(ddb):
    _table(ddb, "bad")
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "bad", "Item": {"g": {"S": "no key"}}}}])
    assert raised.value.response["Error"]["Code"] in ("ValidationException", "TransactionCanceledException")
    assert ddb.scan(TableName="bad")["Items"] == []
