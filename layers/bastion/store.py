"""Bastion records, packed into a few DynamoDB items per account and kind.

Table {prefix}-bastion (pk S, sk S):

    pk "<OwnerUin>#<kind>"  sk "<shard:08d>"  recs (B: zlib JSON {"<Id>": record}), ver (N)
    pk "<OwnerUin>#seq"     sk "<kind>"       n (N): the last Id handed out for the kind
    pk "<OwnerUin>#sync"    sk "<category>"   asset-sync state (layers/bastion/asset_sync.py)
    pk "sync-accounts"      sk "<OwnerUin>"   accounts known to asset sync (the schedule's list)

A record with Id n lives in shard n // SHARD_SIZE[kind]. Listing an account's 10 000 devices is
one Query over ~20 items rather than 10 000, and a change is a conditional write of the shards it
touches. Transactions are optimistic: every shard read inside `transaction()` remembers the
version it was read at; the commit writes the changed shards and checks the unchanged ones in
one TransactWriteItems, and a conflict re-runs the whole function on fresh data. So checks such
as "the name is unused" or "the resource has free nodes" hold under concurrency without locks.
Every key starts with the account: nothing here can read or write another account's records.
"""
import json
import random
import time
import zlib
from typing import Callable, Dict, Iterable, List, Optional, Tuple, TypeVar

from layers import aws
from layers.bastion import config
from layers.gateway.errors import ApiError

# Records per shard item, sized so a shard stays well under DynamoDB's 400 KB item limit.
SHARD_SIZE = {"user": 512, "usergroup": 512, "devicegroup": 512, "device": 512, "account": 512,
              "acl": 64, "cmdtemplate": 16, "resource": 64,
              # login secrets per user Id and the account's one login policy (layers/bastion/credentials.py)
              "credential": 32, "loginpolicy": 1}
MAX_ITEM_BYTES = 380_000
MAX_TX_ITEMS = 100
T = TypeVar("T")


class Conflict(Exception):
    """A shard changed between read and commit."""


def _ddb():
    return aws.client("dynamodb")


def _key(account: str, kind: str, no: int) -> dict:
    return {"pk": {"S": f"{account}#{kind}"}, "sk": {"S": f"{no:08d}"}}


def _encode(recs: Dict[int, dict]) -> bytes:
    return zlib.compress(json.dumps({str(k): v for k, v in recs.items()}, separators=(",", ":"),
                                    ensure_ascii=False).encode("utf-8"), 1)


def _decode(blob: bytes) -> Dict[int, dict]:
    return {int(k): v for k, v in json.loads(zlib.decompress(blob)).items()}


class _Shard:
    __slots__ = ("no", "ver", "recs", "dirty")

    def __init__(self, no: int, ver: Optional[int], recs: Dict[int, dict]) -> None:
        self.no, self.ver, self.recs, self.dirty = no, ver, recs, False

    @classmethod
    def from_item(cls, item: dict) -> "_Shard":
        return cls(int(item["sk"]["S"]), int(item["ver"]["N"]), _decode(item["recs"]["B"]))


def _query_shards(account: str, kind: str) -> Dict[int, _Shard]:
    found, kwargs = {}, {}
    while True:
        page = _ddb().query(TableName=config.table(), KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": {"S": f"{account}#{kind}"}},
                            ConsistentRead=True, **kwargs)
        for item in page["Items"]:
            shard = _Shard.from_item(item)
            found[shard.no] = shard
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _get_shards(account: str, kind: str, nos: Iterable[int]) -> Dict[int, _Shard]:
    wanted = sorted(set(nos))
    found: Dict[int, _Shard] = {}
    table = config.table()
    for i in range(0, len(wanted), 100):
        request = {table: {"Keys": [_key(account, kind, n) for n in wanted[i:i + 100]], "ConsistentRead": True}}
        while request:
            got = _ddb().batch_get_item(RequestItems=request)
            for item in got["Responses"].get(table, []):
                shard = _Shard.from_item(item)
                found[shard.no] = shard
            request = got.get("UnprocessedKeys") or None
    for n in wanted:
        found.setdefault(n, _Shard(n, None, {}))
    return found


def load_all(account: str, kind: str) -> Dict[int, dict]:
    """Every record of a kind (read-only; strongly consistent)."""
    return Tx(account).all(kind)


def get_many(account: str, kind: str, ids: Iterable[int]) -> Dict[int, dict]:
    """The records with these Ids that exist (read-only)."""
    return Tx(account).get_many(kind, ids)


def new_ids(account: str, kind: str, count: int = 1) -> List[int]:
    """Fresh Ids for a kind: increasing, never reused (a retried transaction leaves gaps)."""
    got = _ddb().update_item(TableName=config.table(),
                             Key={"pk": {"S": f"{account}#seq"}, "sk": {"S": kind}},
                             UpdateExpression="ADD n :n", ExpressionAttributeValues={":n": {"N": str(count)}},
                             ReturnValues="UPDATED_NEW")
    top = int(got["Attributes"]["n"]["N"])
    return list(range(top - count + 1, top + 1))


class Tx:
    """Reads and writes of one account's records, committed together by `transaction()`."""

    def __init__(self, account: str, *, chunked: bool = False) -> None:
        self.account = account
        self.chunked = chunked          # may commit in several TransactWriteItems (asset sync)
        self._shards: Dict[Tuple[str, int], _Shard] = {}
        self._complete: set = set()     # kinds whose every shard is loaded

    # ---- reads ----
    def all(self, kind: str) -> Dict[int, dict]:
        if kind not in self._complete:
            for no, shard in _query_shards(self.account, kind).items():
                self._shards.setdefault((kind, no), shard)
            self._complete.add(kind)
        out: Dict[int, dict] = {}
        for (k, _), shard in self._shards.items():
            if k == kind:
                out.update(shard.recs)
        return out

    def get(self, kind: str, rec_id: int) -> Optional[dict]:
        return self._shard(kind, rec_id // SHARD_SIZE[kind]).recs.get(rec_id)

    def get_many(self, kind: str, ids: Iterable[int]) -> Dict[int, dict]:
        ids = list(ids)
        size = SHARD_SIZE[kind]
        missing = {i // size for i in ids} - {no for (k, no) in self._shards if k == kind}
        if missing and kind not in self._complete:
            for no, shard in _get_shards(self.account, kind, missing).items():
                self._shards[(kind, no)] = shard
        out = {}
        for i in ids:
            rec = self._shard(kind, i // size).recs.get(i)
            if rec is not None:
                out[i] = rec
        return out

    def _shard(self, kind: str, no: int) -> _Shard:
        shard = self._shards.get((kind, no))
        if shard is None:
            if kind in self._complete:
                shard = _Shard(no, None, {})
            else:
                shard = _get_shards(self.account, kind, [no])[no]
            self._shards[(kind, no)] = shard
        return shard

    # ---- writes ----
    def new_ids(self, kind: str, count: int = 1) -> List[int]:
        return new_ids(self.account, kind, count) if count > 0 else []

    def put(self, kind: str, rec: dict) -> dict:
        shard = self._shard(kind, rec["Id"] // SHARD_SIZE[kind])
        shard.recs[rec["Id"]] = rec
        shard.dirty = True
        return rec

    def delete(self, kind: str, rec_id: int) -> None:
        shard = self._shard(kind, rec_id // SHARD_SIZE[kind])
        if shard.recs.pop(rec_id, None) is not None:
            shard.dirty = True

    # ---- commit ----
    def _items(self) -> Tuple[list, list]:
        writes, checks = [], []
        table = config.table()
        for (kind, no), shard in self._shards.items():
            key = _key(self.account, kind, no)
            cond = ({"ConditionExpression": "ver = :v", "ExpressionAttributeValues": {":v": {"N": str(shard.ver)}}}
                    if shard.ver is not None else {"ConditionExpression": "attribute_not_exists(pk)"})
            if shard.dirty:
                # An emptied shard stays (with its version) so a version is never reused.
                body = _encode(shard.recs)
                if len(body) > MAX_ITEM_BYTES:
                    raise ApiError("LimitExceeded", f"Too much {kind} data in one account: a storage shard "
                                   f"would exceed {MAX_ITEM_BYTES} bytes.")
                writes.append({"Put": {"TableName": table, "Item": {**key, "recs": {"B": body},
                                                                    "ver": {"N": str((shard.ver or 0) + 1)}}, **cond}})
            else:
                checks.append({"ConditionCheck": {"TableName": table, "Key": key, **cond}})
        return writes, checks

    def commit(self) -> None:
        writes, checks = self._items()
        if not writes:
            return
        items = writes + checks
        if len(items) <= MAX_TX_ITEMS:
            _transact(items)
        elif self.chunked:
            for i in range(0, len(writes), MAX_TX_ITEMS):
                _transact(writes[i:i + MAX_TX_ITEMS])
        else:
            raise ApiError("LimitExceeded", "The change touches too many records at once; split it into "
                           "smaller requests.")


def _transact(items: list) -> None:
    ddb = _ddb()
    try:
        ddb.transact_write_items(TransactItems=items)
    except ddb.exceptions.TransactionCanceledException as exc:     # a condition failed or a conflict
        raise Conflict(str(exc)) from None


def transaction(account: str, fn: Callable[[Tx], T], *, attempts: int = 8, chunked: bool = False) -> T:
    """Run fn(tx) and commit its writes; on a concurrent change, run it again on fresh data.
    fn must have no effects outside tx (ApiError raised by fn aborts without writing)."""
    for attempt in range(attempts):
        tx = Tx(account, chunked=chunked)
        result = fn(tx)
        try:
            tx.commit()
            return result
        except Conflict:
            time.sleep(random.uniform(0, 0.01 * (2 ** attempt)))
    raise ApiError("FailedOperation.TooFrequent", "The records changed concurrently too often; retry the request.")
