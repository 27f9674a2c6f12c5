"""Requests per second per (account, service, action), shared by every process.

The count for one second lives in the control table. A process leases tokens in small blocks
(a tenth of the limit) with one conditional update and spends them locally, so a busy process
makes about ten store calls a second per action instead of one per request, and the total of
all leases in a second never passes the limit. A key used in a second leases the next second's
first block in the background, so steady traffic does not wait on the store at the turn of the
second (leasing ahead only for a call late in the second left a key with a few calls a second
waiting in most seconds). A block leased ahead and not used costs the other processes at most a
tenth of that second's limit, and the table one write. One background thread makes the
leases ahead, one at a time: a thread each let many keys' leases reach the table together, and
a request that had to lease for itself then queued behind all of them.
"""
import logging
import queue
import threading
import time
from typing import Callable, Dict, Optional, Tuple

from layers import aws
from layers.config import settings

log = logging.getLogger("guardzone.ratelimit")


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._local: Dict[Tuple[str, str, str], list] = {}   # key -> [second, tokens left]
        self._ahead: Dict[Tuple[str, str, str], Optional[list]] = {}   # leased for a later second (None: in flight)
        self._lock = threading.Lock()
        self._jobs: "queue.SimpleQueue[Optional[Tuple[tuple, int, int]]]" = queue.SimpleQueue()
        self._worker: Optional[threading.Thread] = None

    def _slot(self, key, second: int) -> Optional[list]:
        """The key's tokens for this second, taking over a block leased ahead for it."""
        slot = self._local.get(key)
        if slot and slot[0] == second:
            return slot
        ahead = self._ahead.get(key)
        if ahead is not None and ahead[0] <= second:
            del self._ahead[key]
            if ahead[0] == second:
                self._local[key] = ahead
                return ahead
        return None

    def allow(self, account: str, service: str, action: str, limit: int) -> bool:
        if limit <= 0:
            return True
        key = (account, service, action)
        second = int(self._clock())
        with self._lock:
            slot = self._slot(key, second)
            spent = bool(slot and slot[1] > 0)
            if spent:
                slot[1] -= 1
        if not spent:
            granted = self._lease(key, second, limit)
            if granted <= 0:
                return False
            with self._lock:
                self._local[key] = [second, granted - 1]
        self._lease_next(key, second + 1, limit)
        return True

    def _lease_next(self, key, second: int, limit: int) -> None:
        """Have the background thread lease `second` for the key, unless a block for a later
        second is held or on its way."""
        with self._lock:
            if key in self._ahead:
                return
            self._ahead[key] = None
            self._jobs.put((key, second, limit))
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="rate-lease-ahead", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self._lease_ahead(*job)

    def close(self) -> None:
        """Stop the background thread once the lease it is making, if any, is done: before the
        table goes away (a thread still leasing at interpreter exit may write to a closing stderr)."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            self._jobs.put(None)
            worker.join(timeout=10)

    def _lease_ahead(self, key, second: int, limit: int) -> None:
        if second <= int(self._clock()):      # late: its second has begun and leases for itself
            with self._lock:
                if key in self._ahead and self._ahead[key] is None:
                    del self._ahead[key]
            return
        try:
            granted = self._lease(key, second, limit)
        except Exception:      # the next request leases for itself
            log.warning("leasing ahead for %s failed", key, exc_info=True)
            granted = 0
        with self._lock:
            # an empty block when nothing was granted: no second try within this second; the
            # next second's first call then leases for itself
            self._ahead[key] = [second, granted]

    def _lease(self, key, second: int, limit: int) -> int:
        ddb = aws.client("dynamodb")
        block = max(1, limit // 10)
        for size in ((block, 1) if block > 1 else (1,)):
            try:
                ddb.update_item(
                    TableName=settings().control_table,
                    Key={"pk": {"S": "RATE#%s#%s#%s#%d" % (*key, second)}},
                    UpdateExpression="ADD used :n SET expires = :e",
                    ConditionExpression="attribute_not_exists(used) OR used <= :room",
                    ExpressionAttributeValues={":n": {"N": str(size)}, ":room": {"N": str(limit - size)},
                                               ":e": {"N": str(second + 120)}})
                return size
            except ddb.exceptions.ConditionalCheckFailedException:
                continue
        return 0
