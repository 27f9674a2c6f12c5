"""What an unauthenticated sender can cost: failed authentications are budgeted per source address
and per (source address, claimed SecretId), and a sender over budget is refused before its key is
looked up or its signature checked.

Each key is a token bucket of failures (`burst` at once, refilled at `per_second`); a request is
refused only while a bucket is empty, and only failures spend tokens, so a client that signs
correctly is never slowed. The budget is per process (a Lambda container, the local server):
it bounds the lookups, signature checks and attributed audit events one sender can cause, not a
distributed flood. A refused request's event names no account: it goes to no one's trail.
"""
import threading
import time
from typing import Callable, Dict, Tuple

from layers.config import settings

_MAX_KEYS = 100_000        # buckets kept; full ones are forgotten first


class AuthFailureLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        s = settings()
        self._clock = clock
        self._rules = {"pair": (s.auth_failure_burst, s.auth_failure_rate),
                       "address": (s.auth_failure_burst * 5, s.auth_failure_rate * 10)}
        self._buckets: Dict[Tuple[str, ...], list] = {}     # key -> [tokens, time]
        self._lock = threading.Lock()

    def _keys(self, source_ip: str, secret_id: str):
        yield ("address", source_ip), self._rules["address"]
        yield ("pair", source_ip, secret_id), self._rules["pair"]

    def _tokens(self, key, rule, now: float) -> float:
        burst, rate = rule
        bucket = self._buckets.get(key)
        if bucket is None:
            return burst
        return min(burst, bucket[0] + (now - bucket[1]) * rate)

    def allow(self, source_ip: str, secret_id: str) -> bool:
        now = self._clock()
        with self._lock:
            return all(self._tokens(k, rule, now) >= 1 for k, rule in self._keys(source_ip, secret_id))

    def failed(self, source_ip: str, secret_id: str) -> None:
        now = self._clock()
        with self._lock:
            for key, rule in self._keys(source_ip, secret_id):
                self._buckets[key] = [max(self._tokens(key, rule, now) - 1, 0.0), now]
            if len(self._buckets) > _MAX_KEYS:
                self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        rules = self._rules       # a key's first element names its rule
        for key in [k for k in self._buckets if self._tokens(k, rules[k[0]], now) >= rules[k[0]][0]]:
            del self._buckets[key]
        while len(self._buckets) > _MAX_KEYS:      # all busy: drop the oldest
            del self._buckets[next(iter(self._buckets))]
