"""The keystore table (DynamoDB): key domains, KMS keys and their aliases, in one partition per account.

    pk ACCOUNT#<OwnerUin>  sk DOMAIN#<domain id>          a key domain (layers/stores/key_domains.py)
    pk ACCOUNT#<OwnerUin>  sk KEY#<KeyId>                 a KMS key (layers/stores/kms_keys.py)
    pk ACCOUNT#<OwnerUin>  sk ALIAS#<region>#<alias>      an alias, unique per account and region
    pk ACCOUNT#<OwnerUin>  sk KEYCOUNT#<region>           how many KMS keys the account holds there
    pk ACCOUNT#<OwnerUin>  sk DATAKEY#..., DATAKEYNAME#..., DATAKEYCOUNT#...   hosted data keys (layers/stores/data_keys.py)

One table so that a key is created in the same transaction that checks its domain is alive.

Writes pass one process-wide lock (see layers/stores/dynamo.py for why).
"""
import threading
from typing import Dict, List, Optional, Tuple

from layers import aws
from layers.config import settings
from layers.stores import dynamo

_write_lock = threading.Lock()
from_item, failed = dynamo.from_item, dynamo.failed     # for the stores of this table


def table_name() -> str:
    return f"{settings().prefix}-keystore"


def ddb():
    return aws.client("dynamodb")


def key(account: str, sk: str) -> dict:
    return {"pk": {"S": f"ACCOUNT#{account}"}, "sk": {"S": sk}}


def to_item(doc: dict) -> dict:
    return {k: dynamo.serializer.serialize(v) for k, v in doc.items() if v is not None}


def value(v) -> dict:
    return dynamo.serializer.serialize(v)


def get(account: str, sk: str) -> Optional[dict]:
    item = ddb().get_item(TableName=table_name(), Key=key(account, sk), ConsistentRead=True).get("Item")
    return from_item(item) if item else None


def get_many(account: str, sks: List[str]) -> Dict[str, Optional[dict]]:
    """Several items of one account in one round trip (strongly consistent); missing ones are None."""
    wanted = list(dict.fromkeys(sks))
    found: Dict[str, Optional[dict]] = {sk: None for sk in wanted}
    request = {table_name(): {"Keys": [key(account, sk) for sk in wanted], "ConsistentRead": True}}
    while request:
        page = ddb().batch_get_item(RequestItems=request)
        for item in page.get("Responses", {}).get(table_name(), []):
            found[item["sk"]["S"]] = from_item(item)
        request = page.get("UnprocessedKeys") or None
    return found


def query(account: str, prefix: str, filter_expression: str = "", values: Optional[dict] = None,
          names: Optional[dict] = None) -> List[Tuple[str, dict]]:
    """(sk, document) of every item of the account whose sort key starts with prefix."""
    kwargs = {"TableName": table_name(), "ConsistentRead": True,
              "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
              "ExpressionAttributeValues": {":pk": {"S": f"ACCOUNT#{account}"}, ":prefix": {"S": prefix},
                                            **(values or {})}}
    if filter_expression:
        kwargs["FilterExpression"] = filter_expression
    if names:
        kwargs["ExpressionAttributeNames"] = names
    out = []
    while True:
        page = ddb().query(**kwargs)
        out += [(i["sk"]["S"], from_item(i)) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def scan(prefix: str, filter_expression: str, values: dict) -> List[Tuple[str, str, dict]]:
    """(account, sk, document) of every item in the table whose sort key starts with prefix and
    that matches the filter (the maintenance schedule's sweep)."""
    kwargs = {"TableName": table_name(), "ConsistentRead": True,
              "FilterExpression": f"begins_with(sk, :prefix) AND ({filter_expression})",
              "ExpressionAttributeValues": {":prefix": {"S": prefix}, **values}}
    out = []
    while True:
        page = ddb().scan(**kwargs)
        out += [(i["pk"]["S"][len("ACCOUNT#"):], i["sk"]["S"], from_item(i)) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def transact(items: List[dict]) -> Optional[List[str]]:
    """Commit the items; None on success, else each item's cancellation code ('None' if it passed)."""
    return dynamo.transact(ddb(), _write_lock, items)


# ---- records guarded by the values they were read with ----

def expectations(expect: Dict[str, object]) -> Tuple[str, dict, dict]:
    """(condition, names, values): the item exists and each attribute has its value (None: absent)."""
    conditions, names, values = ["attribute_exists(pk)"], {}, {}
    for i, (name, wanted) in enumerate(expect.items()):
        names[f"#e{i}"] = name
        if wanted is None:
            conditions.append(f"attribute_not_exists(#e{i})")
        else:
            conditions.append(f"#e{i} = :e{i}")
            values[f":e{i}"] = value(wanted)
    return " AND ".join(conditions), names, values


def update_expected(account: str, sk: str, changes: Dict[str, object], expect: Dict[str, object],
                    remove: Tuple[str, ...] = ()) -> bool:
    """Set attributes (and remove some) if the item still has the expected values; False otherwise."""
    condition, names, values = expectations(expect)
    sets, removes = [], []
    for i, (name, new) in enumerate(changes.items()):
        names[f"#a{i}"] = name
        values[f":a{i}"] = value(new)
        sets.append(f"#a{i} = :a{i}")
    for i, name in enumerate(remove):
        names[f"#r{i}"] = name
        removes.append(f"#r{i}")
    expression = " ".join(part for part in (
        "SET " + ", ".join(sets) if sets else "", "REMOVE " + ", ".join(removes) if removes else "") if part)
    return update(account, sk, expression, condition, values, names)


def delete_expected(account: str, sk: str, expect: Dict[str, object]) -> dict:
    """A transaction item deleting the item if it still has the expected values."""
    condition, names, values = expectations(expect)
    item = {"TableName": table_name(), "Key": key(account, sk), "ConditionExpression": condition}
    if names:
        item["ExpressionAttributeNames"] = names
    if values:
        item["ExpressionAttributeValues"] = values
    return {"Delete": item}


# ---- transaction items for counted, uniquely named records (CMKs by alias, data keys by name) ----

def counter_change(account: str, sk: str, delta: int, limit: int = 0) -> dict:
    """Add delta to the counter item's Count; with a limit, only while Count is below it."""
    update = {"TableName": table_name(), "Key": key(account, sk),
              "UpdateExpression": "ADD #c :d", "ExpressionAttributeNames": {"#c": "Count"},
              "ExpressionAttributeValues": {":d": {"N": str(delta)}}}
    if limit:
        update["ConditionExpression"] = "attribute_not_exists(#c) OR #c < :limit"
        update["ExpressionAttributeValues"][":limit"] = {"N": str(limit)}
    return {"Update": update}


def claim(account: str, sk: str, owner_attribute: str, owner: str) -> dict:
    """Take a name (the item sk) for its owner; fails if anyone holds it."""
    return {"Put": {"TableName": table_name(), "Item": {**key(account, sk), owner_attribute: {"S": owner}},
                    "ConditionExpression": "attribute_not_exists(pk)"}}


def release(account: str, sk: str, owner_attribute: str, owner: str) -> dict:
    """Give a name back; fails if another owner holds it meanwhile."""
    return {"Delete": {"TableName": table_name(), "Key": key(account, sk),
                       "ConditionExpression": f"attribute_not_exists(pk) OR {owner_attribute} = :owner",
                       "ExpressionAttributeValues": {":owner": {"S": owner}}}}


def replace(account: str, sk: str, attribute: str, old: str, new: str) -> dict:
    """A transaction item: the record's string attribute becomes new, if it exists and still holds old."""
    return {"Update": {"TableName": table_name(), "Key": key(account, sk),
                       "UpdateExpression": "SET #a = :new", "ConditionExpression": "attribute_exists(pk) AND #a = :old",
                       "ExpressionAttributeNames": {"#a": attribute},
                       "ExpressionAttributeValues": {":new": {"S": new}, ":old": {"S": old}}}}


def update(account: str, sk: str, expression: str, condition: str, values: dict,
           names: Optional[dict] = None) -> bool:
    """One conditional update; False when the condition does not hold."""
    return update_returning(account, sk, expression, condition, values, names) is not None


def update_returning(account: str, sk: str, expression: str, condition: str, values: dict,
                     names: Optional[dict] = None) -> Optional[dict]:
    """One conditional update; the item as it is afterwards, or None when the condition does not hold."""
    client = ddb()
    kwargs = {"TableName": table_name(), "Key": key(account, sk), "UpdateExpression": expression,
              "ConditionExpression": condition, "ReturnValues": "ALL_NEW"}
    if values:
        kwargs["ExpressionAttributeValues"] = values
    if names:
        kwargs["ExpressionAttributeNames"] = names
    with _write_lock:
        try:
            return from_item(client.update_item(**kwargs).get("Attributes", {}))
        except client.exceptions.ConditionalCheckFailedException:
            return None


def put(account: str, sk: str, doc: dict, condition: str = "attribute_not_exists(pk)",
        names: Optional[dict] = None, values: Optional[dict] = None) -> bool:
    """Write an item if the condition holds (by default: it does not exist yet); False otherwise."""
    client = ddb()
    kwargs = {"TableName": table_name(), "Item": {**key(account, sk), **to_item(doc)}, "ConditionExpression": condition}
    if names:
        kwargs["ExpressionAttributeNames"] = names
    if values:
        kwargs["ExpressionAttributeValues"] = values
    with _write_lock:
        try:
            client.put_item(**kwargs)
            return True
        except client.exceptions.ConditionalCheckFailedException:
            return False
