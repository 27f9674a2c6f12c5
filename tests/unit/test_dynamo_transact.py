"""A transaction retried after its first attempt committed (layers/stores/dynamo.transact): the
retry is cancelled by the transaction's own writes, where DynamoDB's idempotency token would have
answered success; moto keeps no token. The items it put, found as it put them, make it a success."""
import threading

from layers.stores import dynamo


class Cancelled(Exception):
    def __init__(self, retries: int) -> None:
        super().__init__("cancelled")
        self.response = {"ResponseMetadata": {"RetryAttempts": retries},
                         "CancellationReasons": [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}]}


class Table:
    """transact_write_items that cancels (as a retry meeting its first attempt's writes would)."""
    def __init__(self, stored: dict, retries: int) -> None:
        self.stored, self.retries = stored, retries
        self.exceptions = type("E", (), {"TransactionCanceledException": Cancelled})

    def transact_write_items(self, TransactItems):
        raise Cancelled(self.retries)

    def get_item(self, TableName, Key, ConsistentRead):
        item = self.stored.get((Key["pk"]["S"], Key["sk"]["S"]))
        return {"Item": item} if item is not None else {}


ITEM = {"pk": {"S": "ACCOUNT#1"}, "sk": {"S": "KEY#k1"}, "Alias": {"S": "v0"}, "CreatedUs": {"N": "17"}}
ITEMS = [{"ConditionCheck": {"TableName": "t", "Key": {}}}, {"Put": {"TableName": "t", "Item": ITEM}}]


def test_a_retry_cancelled_by_its_own_committed_writes_is_a_success():
    stored = {("ACCOUNT#1", "KEY#k1"): dict(ITEM)}
    assert dynamo.transact(Table(stored, retries=1), threading.Lock(), ITEMS) is None


def test_a_cancellation_stands_without_a_retry_or_when_the_item_differs():
    stored = {("ACCOUNT#1", "KEY#k1"): dict(ITEM)}
    assert dynamo.transact(Table(stored, retries=0), threading.Lock(), ITEMS) == ["ConditionalCheckFailed", "None"]
    other = {("ACCOUNT#1", "KEY#k1"): {**ITEM, "CreatedUs": {"N": "18"}}}     # someone else's key
    assert dynamo.transact(Table(other, retries=1), threading.Lock(), ITEMS) == ["ConditionalCheckFailed", "None"]
    assert dynamo.transact(Table({}, retries=1), threading.Lock(), ITEMS) == ["ConditionalCheckFailed", "None"]
