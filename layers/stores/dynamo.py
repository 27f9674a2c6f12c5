"""DynamoDB plumbing the stores share: items to plain documents and back, and transactions.

Each store passes its writes through its own process-wide lock. DynamoDB needs none; moto (the
local stand-in) restores a whole-table copy when a transaction is cancelled, which would undo
another thread's committed write in the same table, so the writes of one process are kept from
overlapping there.
"""
import threading
from decimal import Decimal
from functools import lru_cache
from typing import List, Optional


@lru_cache(maxsize=1)
def _types():
    """(serializer, deserializer, Binary): boto3 is imported when first needed, not at start (cold start)."""
    from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
    return TypeSerializer(), TypeDeserializer(), Binary


def __getattr__(name: str):          # dynamo.serializer / dynamo.deserializer, made on first use
    if name == "serializer":
        return _types()[0]
    if name == "deserializer":
        return _types()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def plain(value):
    """A deserialised attribute with Decimals as int/float and Binary as bytes, all the way down."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, _types()[2]):
        return bytes(value.value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def from_item(item: dict) -> dict:
    """The document of an item, without its keys (pk, sk)."""
    return {k: plain(_types()[1].deserialize(v)) for k, v in item.items() if k not in ("pk", "sk")}


def transact(client, lock: threading.Lock, items: List[dict]) -> Optional[List[str]]:
    """Commit the items; None on success, else each item's cancellation code ('None' if it passed)."""
    with lock:
        try:
            client.transact_write_items(TransactItems=items)
            return None
        except client.exceptions.TransactionCanceledException as exc:
            if exc.response.get("ResponseMetadata", {}).get("RetryAttempts") and _landed(client, items):
                return None
            reasons = exc.response.get("CancellationReasons") or []
            return [str(r.get("Code", "None")) for r in reasons] or ["Unknown"] * len(items)


def _landed(client, items: List[dict]) -> bool:
    """Whether the transaction committed before the retry that was cancelled: every item it puts
    is there as it put it (transactions are all or nothing). DynamoDB's idempotency token keeps a
    retried call from meeting its own write; moto keeps none, and a slow answer is retried."""
    puts = [item["Put"] for item in items if "Put" in item]
    for put in puts:
        key = {k: put["Item"][k] for k in ("pk", "sk") if k in put["Item"]}
        if client.get_item(TableName=put["TableName"], Key=key, ConsistentRead=True).get("Item") != put["Item"]:
            return False
    return bool(puts)


def failed(codes: List[str], index: int) -> bool:
    return index < len(codes) and codes[index] not in ("None", "", None)
