"""Requests per second per (account, service, action), shared by every process.

The count for one second lives in the control table. A process leases tokens in small blocks
(a tenth of the limit) with one conditional update and spends them locally, so a busy process
makes about ten store calls a second per action instead of one per request, and the total of
all leases in a second never passes the limit.
"""
import threading
import time
from typing import Callable, Dict, Tuple

from layers import aws
from layers.config import settings


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._local: Dict[Tuple[str, str, str], list] = {}   # key -> [second, tokens left]
        self._lock = threading.Lock()

    def allow(self, account: str, service: str, action: str, limit: int) -> bool:
        if limit <= 0:
            return True
        key = (account, service, action)
        second = int(self._clock())
        with self._lock:
            slot = self._local.get(key)
            if slot and slot[0] == second and slot[1] > 0:
                slot[1] -= 1
                return True
        granted = self._lease(key, second, limit)
        if granted <= 0:
            return False
        with self._lock:
            self._local[key] = [second, granted - 1]
        return True

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
