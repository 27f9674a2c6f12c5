"""moto's DynamoDB made to cost per request what the request touches, not what the tables hold.

moto 5 reads a table's partition by sorting every item of the table (Table.query calls
all_items()), and backs up every table a transaction touches with a deep copy of the whole table
before it writes. The local stack keeps its tables for as long as it runs (and across restarts),
so each query and each transaction grew slower with every account, session and key it held:
over a test run these two were half of moto's time. Here a query of a table's own key reads
its partition only, and a transaction backs up the items it names and puts those back when it
fails. Answers are unchanged (the items are the same ones, in the same order). Imported for its
effect by infra/moto_atomic.py, which serializes DynamoDB's requests: the two never race.
"""
import copy
import threading
from typing import Any, List, Optional, Tuple

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_here = threading.local()       # .partition: (table, hash key) a query reads; .backed_up: tables a transaction saved


def _partition_items(table: Table, hash_key: DynamoType) -> List[Item]:
    found = table.items.get(hash_key)       # (a defaultdict: .get adds no partition)
    if found is None:
        return []
    return list(found.values()) if table.range_key_attr else [found]


_all_items = Table.all_items


def _items(self: Table) -> List[Item]:
    partition = getattr(_here, "partition", None)
    if partition is not None and partition[0] is self:
        # query() keeps those with this hash key and sorts them by range key itself
        return _partition_items(self, partition[1])
    return _all_items(self)


_query = Table.query


def _query_partition(self: Table, hash_key, *args, **kwargs):
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name or not isinstance(hash_key, DynamoType):
        return _query(self, hash_key, *args, **kwargs)
    _here.partition = (self, hash_key)
    try:
        return _query(self, hash_key, *args, **kwargs)
    finally:
        _here.partition = None


class _TablesKept:
    """Stands in for the module `copy` in moto's DynamoDB models: during a transaction whose items
    were backed up one by one, a table's "backup" is the table itself (its rollback then puts the
    same table back), and everything else is copied as before."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table) and getattr(_here, "backed_up", None):
            return value
        return copy.deepcopy(value, memo)


def _item_key(table: Table, op_type: str, op: dict) -> Tuple[DynamoType, Optional[DynamoType]]:
    attrs = op["Item"] if op_type == "Put" else op["Key"]
    hash_key = DynamoType(attrs[table.hash_key_attr])
    range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return hash_key, range_key


_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_by_item(self: DynamoDBBackend, transact_items: list) -> None:
    saved = []
    try:
        for entry in transact_items[:100]:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is not None:
                hash_key, range_key = _item_key(table, op_type, op)
                saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    except Exception:       # noqa: BLE001 - a malformed request: moto's own backup and errors, as they were
        return _transact_write_items(self, transact_items)
    _here.backed_up = True
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        for table, hash_key, range_key, item in reversed(saved):
            _put_back(table, hash_key, range_key, item)
        raise
    finally:
        _here.backed_up = False


def _put_back(table: Table, hash_key: DynamoType, range_key: Optional[DynamoType], item: Optional[Item]) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    partition = table.items.get(hash_key)
    if item is not None:
        table.items[hash_key][range_key] = item
    elif partition is not None:
        partition.pop(range_key, None)
        if not partition:
            del table.items[hash_key]


Table.query = _query_partition
Table.all_items = _items
DynamoDBBackend.transact_write_items = _transact_by_item
dynamodb_models.copy = _TablesKept()
