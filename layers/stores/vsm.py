"""VSMs, the addresses they hold and each account's VSM quota, in the cloudhsm table (DynamoDB).

    pk ACCOUNT#<OwnerUin>  sk VSM#<ResourceId>   one VSM (see `new_vsm` for its attributes)
    pk ACCOUNT#<OwnerUin>  sk QUOTA              Used: VSMs held; Limit: only when raised for the account
    pk SUBNET#<SubnetId>   sk IP#<address>       the lease of one address: ResourceId, OwnerUin

Every change is one DynamoDB transaction whose conditions carry the invariants: the quota
counter never passes the limit, an address has at most one lease, a VSM changes only from the
state the caller read. Two requests racing for the last quota slot or the same address cannot
both commit; the loser gets QuotaExceeded or AddressTaken and decides what to do.

Writes also pass one process-wide lock (see layers/stores/dynamo.py for why).
"""
import threading
from typing import Callable, Dict, List, Optional, Set, Tuple

from layers import aws
from layers.cloudhsm.catalog import DEFAULT_VSM_QUOTA
from layers.config import settings
from layers.stores import dynamo

_write_lock = threading.Lock()


class QuotaExceeded(Exception):
    pass


class AddressTaken(Exception):
    """Another VSM leased one of the addresses first."""


class VsmChanged(Exception):
    """The VSM was changed or deleted since it was read."""


def table_name() -> str:
    return f"{settings().prefix}-cloudhsm"


def _ddb():
    return aws.client("dynamodb")


def _account_key(owner: str, sk: str) -> dict:
    return {"pk": {"S": f"ACCOUNT#{owner}"}, "sk": {"S": sk}}


def _lease_key(subnet_id: str, address: str) -> dict:
    return {"pk": {"S": f"SUBNET#{subnet_id}"}, "sk": {"S": f"IP#{address}"}}


def _to_item(doc: dict) -> dict:
    return {k: dynamo.serializer.serialize(v) for k, v in doc.items()}


def _query(key_condition: str, values: dict) -> List[dict]:
    items, kwargs = [], {"TableName": table_name(), "KeyConditionExpression": key_condition,
                         "ExpressionAttributeValues": values, "ConsistentRead": True}
    while True:
        page = _ddb().query(**kwargs)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _transact(items: List[dict]) -> Optional[List[str]]:
    """Commit the items; None on success, else each item's cancellation code ('None' if it passed)."""
    return dynamo.transact(_ddb(), _write_lock, items)


# ---- reads ----

def list_vsms(owner: str) -> List[dict]:
    """Every VSM of the account (all regions), in creation order."""
    items = _query("pk = :pk AND begins_with(sk, :vsm)", {":pk": {"S": f"ACCOUNT#{owner}"}, ":vsm": {"S": "VSM#"}})
    return sorted((dynamo.from_item(i) for i in items), key=lambda v: (v["CreatedAt"], v["ResourceId"]))


def get_vsm(owner: str, resource_id: str) -> Optional[dict]:
    item = _ddb().get_item(TableName=table_name(), Key=_account_key(owner, f"VSM#{resource_id}"),
                           ConsistentRead=True).get("Item")
    return dynamo.from_item(item) if item else None


def leased_addresses(subnet_id: str) -> Set[str]:
    items = _query("pk = :pk", {":pk": {"S": f"SUBNET#{subnet_id}"}})
    return {i["sk"]["S"][len("IP#"):] for i in items}


def quota(owner: str) -> Tuple[int, int]:
    """(VSMs held, the account's limit)."""
    item = _ddb().get_item(TableName=table_name(), Key=_account_key(owner, "QUOTA"), ConsistentRead=True).get("Item")
    doc = dynamo.from_item(item) if item else {}
    return int(doc.get("Used", 0)), int(doc.get("Limit", DEFAULT_VSM_QUOTA))


# ---- writes ----

def set_quota_limit(owner: str, limit: int) -> None:
    """Raise (or lower) one account's VSM limit, as the FAQ's "contact an engineer" does."""
    with _write_lock:
        _ddb().update_item(TableName=table_name(), Key=_account_key(owner, "QUOTA"),
                           UpdateExpression="SET #l = :l", ExpressionAttributeNames={"#l": "Limit"},
                           ExpressionAttributeValues={":l": {"N": str(int(limit))}})


def _quota_take(owner: str, n: int, limit: int) -> dict:
    """Count n more VSMs, unless that passes `limit` or the account's limit is no longer `limit`."""
    limit_cond = "(attribute_not_exists(#l) OR #l = :limit)" if limit == DEFAULT_VSM_QUOTA else "#l = :limit"
    return {"Update": {
        "TableName": table_name(), "Key": _account_key(owner, "QUOTA"), "UpdateExpression": "ADD #u :n",
        "ConditionExpression": f"(attribute_not_exists(#u) OR #u <= :room) AND {limit_cond}",
        "ExpressionAttributeNames": {"#u": "Used", "#l": "Limit"},
        "ExpressionAttributeValues": {":n": {"N": str(n)}, ":room": {"N": str(limit - n)},
                                      ":limit": {"N": str(limit)}}}}


def _quota_release(owner: str) -> dict:
    return {"Update": {
        "TableName": table_name(), "Key": _account_key(owner, "QUOTA"), "UpdateExpression": "ADD #u :n",
        "ConditionExpression": "#u >= :one", "ExpressionAttributeNames": {"#u": "Used"},
        "ExpressionAttributeValues": {":n": {"N": "-1"}, ":one": {"N": "1"}}}}


def _lease_put(vsm: dict) -> dict:
    return {"Put": {"TableName": table_name(),
                    "Item": {**_lease_key(vsm["SubnetId"], vsm["Vip"]),
                             "ResourceId": {"S": vsm["ResourceId"]}, "OwnerUin": {"S": vsm["OwnerUin"]}},
                    "ConditionExpression": "attribute_not_exists(pk)"}}


def _lease_delete(vsm: dict) -> dict:
    return {"Delete": {"TableName": table_name(), "Key": _lease_key(vsm["SubnetId"], vsm["Vip"]),
                       "ConditionExpression": "attribute_not_exists(pk) OR ResourceId = :id",
                       "ExpressionAttributeValues": {":id": {"S": vsm["ResourceId"]}}}}


def create(owner: str, vsms: List[dict], limit: int) -> None:
    """Add VSMs (with their leases) and count them against the quota, all or nothing.
    `limit` is the account's limit as read with the quota; a changed limit cancels too."""
    if len(vsms) > limit:
        raise QuotaExceeded()
    items = [_quota_take(owner, len(vsms), limit)]
    for vsm in vsms:
        items.append({"Put": {"TableName": table_name(),
                              "Item": {**_account_key(owner, f"VSM#{vsm['ResourceId']}"), **_to_item(vsm)},
                              "ConditionExpression": "attribute_not_exists(pk)"}})
    for vsm in vsms:
        items.append(_lease_put(vsm))
    codes = _transact(items)
    if codes is None:
        return
    if dynamo.failed(codes, 0):
        raise QuotaExceeded()
    if any(dynamo.failed(codes, i) for i in range(1 + len(vsms), len(items))):
        raise AddressTaken()
    raise VsmChanged()   # a ResourceId collision: the caller draws new ids


def update(owner: str, before: dict, changes: Dict[str, object]) -> dict:
    """Apply attribute changes to a VSM as it was read; a new SubnetId/Vip moves its lease."""
    after = {**before, **changes}
    names = {f"#a{i}": k for i, k in enumerate(changes)}
    values = {f":v{i}": dynamo.serializer.serialize(v) for i, v in enumerate(changes.values())}
    values.update({":vip": {"S": before["Vip"]}, ":subnet": {"S": before["SubnetId"]}})
    names.update({"#vip": "Vip", "#subnet": "SubnetId"})
    items = [{"Update": {
        "TableName": table_name(), "Key": _account_key(owner, f"VSM#{before['ResourceId']}"),
        "UpdateExpression": "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(changes))),
        "ConditionExpression": "attribute_exists(pk) AND #vip = :vip AND #subnet = :subnet",
        "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}]
    moved = (after["SubnetId"], after["Vip"]) != (before["SubnetId"], before["Vip"])
    if moved:
        items += [_lease_put(after), _lease_delete(before)]
    codes = _transact(items)
    if codes is None:
        return after
    if dynamo.failed(codes, 0):
        raise VsmChanged()
    raise AddressTaken()


def delete(owner: str, vsm: dict) -> None:
    """Remove a VSM as it was read, release its address and its quota slot, all or nothing."""
    items = [{"Delete": {"TableName": table_name(), "Key": _account_key(owner, f"VSM#{vsm['ResourceId']}"),
                         "ConditionExpression": "attribute_exists(pk) AND Vip = :vip AND SubnetId = :subnet",
                         "ExpressionAttributeValues": {":vip": {"S": vsm["Vip"]}, ":subnet": {"S": vsm["SubnetId"]}}}},
             _lease_delete(vsm), _quota_release(owner)]
    if _transact(items) is not None:
        raise VsmChanged()


# ---- the termination hook ----

termination_hooks: List[Callable[[dict], None]] = []


def on_vsm_terminated(vsm: dict) -> None:
    """Destroys what a terminated VSM leaves behind besides its record: its key material.

    TerminateVsm calls this once the VSM is confirmed to exist and belong to the caller, and
    before its record, address and quota slot are released, so a hook that raises leaves the
    VSM in place and the caller can retry; hooks must therefore be idempotent. The crypto layer
    registers its key shredding with `termination_hooks.append(fn)`; fn gets the VSM as stored
    (ResourceId, OwnerUin, Region, VsmType, ...).
    """
    for hook in list(termination_hooks):
        hook(vsm)
