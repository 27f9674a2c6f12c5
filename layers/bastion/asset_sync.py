"""Asset sync: the cloud inventory (inventory.py) becomes the account's devices.

Per account and category (1 hosts, 2 databases) one sync runs at a time: a lease on the state
item `<OwnerUin>#sync / <category>` is taken with a conditional write and given back when the
sync ends (or lapses after GZ_BASTION_SYNC_LEASE_SECONDS if the worker died). A sync

  - adds a device for every inventory instance the account does not have yet,
  - updates the cloud fields (name, IPs, OS, kind, VPC, subnet, tags, region) of those that
    changed (the port, groups, department and bound resource set in the bastion are kept),
  - removes devices whose instance disappeared from a region that was read completely, with
    their accounts, group memberships, ACL references and resource nodes; a region that could not
    be read removes nothing and makes the sync's status "failed".

Triggers: the schedule (every 8 hours by default, GZ_BASTION_SYNC_SCHEDULE) syncs every account
that has tagged instances or has synced before; CreateAssetSyncJob takes the lease and queues a
job that the asset-sync queue's worker runs.
"""
import json
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Dict, Iterable, List, Optional

from layers import aws
from layers.bastion import cascade, config, devices, inventory, store, times
from layers.config import settings
from layers.gateway.errors import ApiError

log = logging.getLogger("guardzone.bastion.sync")
NEVER, SUCCEEDED, FAILED = 0, 1, 2
REGISTRY = "sync-accounts"


@dataclass
class SyncResult:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    ok: bool = True


def _ddb():
    return aws.client("dynamodb")


def _state_key(account: str, category: int) -> dict:
    return {"pk": {"S": f"{account}#sync"}, "sk": {"S": str(category)}}


# ---- state and lease ----
def status(account: str, category: int) -> dict:
    item = _ddb().get_item(TableName=config.table(), Key=_state_key(account, category),
                           ConsistentRead=True).get("Item") or {}
    lease = int(item.get("LeaseUntil", {}).get("N", "0"))
    return {"LastTime": item.get("LastTime", {}).get("S", ""),
            "LastStatus": int(item.get("LastStatus", {}).get("N", str(NEVER))),
            "InProcess": bool(item.get("Token")) and lease > time.time()}


def acquire(account: str, category: int) -> Optional[str]:
    """Take the lease; None when a sync of this account and category is already running."""
    token, now = uuid.uuid4().hex, int(time.time())
    ddb = _ddb()
    try:
        ddb.update_item(TableName=config.table(), Key=_state_key(account, category),
                        UpdateExpression="SET #t = :t, LeaseUntil = :u, StartedAt = :now",
                        ConditionExpression="attribute_not_exists(LeaseUntil) OR LeaseUntil < :now",
                        ExpressionAttributeNames={"#t": "Token"},
                        ExpressionAttributeValues={":t": {"S": token}, ":now": {"N": str(now)},
                                                   ":u": {"N": str(now + config.sync_lease_seconds())}})
    except ddb.exceptions.ConditionalCheckFailedException:
        return None
    return token


def holds(account: str, category: int, token: str) -> bool:
    item = _ddb().get_item(TableName=config.table(), Key=_state_key(account, category),
                           ConsistentRead=True).get("Item") or {}
    return item.get("Token", {}).get("S") == token and int(item.get("LeaseUntil", {}).get("N", "0")) > time.time()


def release(account: str, category: int, token: str, ok: Optional[bool]) -> None:
    """Give the lease back; ok=True/False records the outcome, None (never started) records nothing."""
    values = {":t": {"S": token}}
    update = "REMOVE #t, LeaseUntil"
    if ok is not None:
        update = "SET LastTime = :lt, LastStatus = :ls " + update
        values.update({":lt": {"S": times.iso_now()}, ":ls": {"N": str(SUCCEEDED if ok else FAILED)}})
    ddb = _ddb()
    try:
        ddb.update_item(TableName=config.table(), Key=_state_key(account, category), UpdateExpression=update,
                        ConditionExpression="#t = :t", ExpressionAttributeNames={"#t": "Token"},
                        ExpressionAttributeValues=values)
    except ddb.exceptions.ConditionalCheckFailedException:
        log.warning("sync lease of %s/%s was lost before it was given back", account, category)


def register(account: str) -> None:
    _ddb().put_item(TableName=config.table(), Item={"pk": {"S": REGISTRY}, "sk": {"S": account}})


def known_accounts() -> List[str]:
    found, kwargs = [], {}
    while True:
        page = _ddb().query(TableName=config.table(), KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": {"S": REGISTRY}}, **kwargs)
        found.extend(i["sk"]["S"] for i in page["Items"])
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _account_exists(account: str) -> bool:
    return "Item" in _ddb().get_item(TableName=settings().identity_table, Key={"pk": {"S": f"ACCOUNT#{account}"}})


# ---- the sync itself ----
def apply(account: str, category: int, assets: Iterable[dict], read_regions: Iterable[str]) -> SyncResult:
    """Make the account's synced devices of this category match the inventory's assets."""
    source = devices.SYNC_SOURCES[category]
    read_regions = set(read_regions)
    wanted: Dict[str, dict] = {}
    for asset in assets:
        wanted.setdefault(asset["InstanceId"], asset)

    def write(tx: store.Tx) -> SyncResult:
        result = SyncResult()
        existing = {d["InstanceId"]: d for d in tx.all("device").values() if d.get("Source") == source}
        fresh = []
        for iid, asset in wanted.items():
            dev = existing.get(iid)
            if dev is None:
                fresh.append(asset)
            elif any(dev.get(k) != asset[k] for k in inventory.CLOUD_FIELDS):
                dev.update({k: asset[k] for k in inventory.CLOUD_FIELDS})
                tx.put("device", dev)
                result.updated += 1
            else:
                result.unchanged += 1
        gone = {d["Id"]: d for iid, d in existing.items() if iid not in wanted and d.get("ApCode") in read_regions}
        if gone:
            cascade.remove_devices(tx, gone)
        for rid, asset in zip(tx.new_ids("device", len(fresh)), fresh):
            rec = {k: asset[k] for k in ("InstanceId", "Port", *inventory.CLOUD_FIELDS)}
            rec.update({"Id": rid, "GroupIds": [], "ResourceId": "", "DepartmentId": "", "Source": source})
            tx.put("device", rec)
        result.added, result.removed = len(fresh), len(gone)
        return result

    return store.transaction(account, write, chunked=True)


def run(account: str, category: int, token: str, inv: Optional[inventory.Inventory] = None) -> SyncResult:
    """Sync under a lease already taken (token); always gives the lease back with the outcome."""
    ok = False
    try:
        if inv is None:
            inv = inventory.read(category, config.sync_regions(), owner=account)
        result = apply(account, category, inv.assets, inv.read_regions)
        result.ok = ok = not inv.failed
        log.info("asset sync %s/%s: %s", account, category, asdict(result))
        return result
    except Exception:
        log.exception("asset sync %s/%s failed", account, category)
        return SyncResult(ok=False)
    finally:
        release(account, category, token, ok)


def start_job(account: str, category: int) -> None:
    """CreateAssetSyncJob: take the lease now (so the status shows InProcess at once) and queue
    the work for the asset-sync worker."""
    token = acquire(account, category)
    if token is None:
        raise ApiError("FailedOperation.TooFrequent", "An asset sync of this category is already in progress.")
    try:
        register(account)
        sqs = aws.client("sqs")
        url = sqs.get_queue_url(QueueName=config.asset_sync_queue())["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(
            {"Account": account, "Category": category, "Token": token}))
    except Exception:
        release(account, category, token, None)
        raise


def run_job(message: dict) -> Optional[SyncResult]:
    """The worker's side of start_job; a job whose lease lapsed or was replaced is dropped."""
    account, category, token = str(message["Account"]), int(message["Category"]), str(message["Token"])
    if not holds(account, category, token):
        log.warning("asset sync job %s/%s no longer holds its lease; dropped", account, category)
        return None
    return run(account, category, token)


def run_scheduled(tencent_regions: Optional[List[str]] = None) -> dict:
    """The schedule: read each category's inventory once for every owner, then sync each account
    that has instances or has synced before (one not holding a running sync's lease)."""
    tencent_regions = list(tencent_regions or config.sync_regions())
    summary = {"synced": 0, "busy": 0, "failed": 0}
    for category in (inventory.HOSTS, inventory.DATABASES):
        inv = inventory.read(category, tencent_regions)
        by_owner = defaultdict(list)
        for asset in inv.assets:
            by_owner[asset["Owner"]].append(asset)
        for account in sorted(set(by_owner) | set(known_accounts())):
            if not _account_exists(account):
                if account in by_owner:
                    log.warning("instances tagged for unknown account %s are not synced", account)
                continue
            token = acquire(account, category)
            if token is None:
                summary["busy"] += 1
                continue
            register(account)
            share = inventory.Inventory(by_owner.get(account, []), inv.read_regions, inv.failed)
            result = run(account, category, token, share)
            summary["synced" if result.ok else "failed"] += 1
    return summary
