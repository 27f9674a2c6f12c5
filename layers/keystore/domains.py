"""Key domains: one master key per (account, domain), wrapped by the root key, wrapping every key
stored in the domain.

A domain is Active (its item holds the wrapped master key) or Destroyed (a tombstone without it).
Destroying drops the wrapped master key first; from that moment nothing wrapped under it can be
opened, whatever copies of the wrapped keys exist. Then the domain's keys are deleted.

`ensure` (used on the request path) creates a missing domain but never revives a destroyed one, so
a request racing a VSM's termination cannot bring its domain back; only an explicit `create` starts
a destroyed domain again, as a new generation with a new master key.

Opened master keys are kept in process memory for a few minutes, keyed by their wrapped form:
callers always read the domain item first, so a destroyed domain's master key is never used again.
"""
import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from layers.keystore import root
from layers.keystore.errors import DomainDestroyed, DomainNotFound
from layers.stores import key_domains

MASTER_CACHE_SECONDS = 300
_MASTER_CACHE_LIMIT = 4096
_cache: Dict[Tuple[str, str, bytes], Tuple[bytes, float]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Domain:
    account: str
    domain_id: str
    generation: int
    master_blob: bytes


def from_item(account: str, domain_id: str, doc: Optional[dict]) -> Domain:
    """The Active domain an item describes, or DomainNotFound / DomainDestroyed."""
    if doc is None:
        raise DomainNotFound(f"key domain {domain_id} does not exist")
    if doc.get("State") != key_domains.ACTIVE or not doc.get("Master"):
        raise DomainDestroyed(f"key domain {domain_id} was destroyed")
    return Domain(account, domain_id, int(doc["Generation"]), doc["Master"])


def get(account: str, domain_id: str) -> Domain:
    return from_item(account, domain_id, key_domains.get(account, domain_id))


def create(account: str, domain_id: str) -> Domain:
    """The Active domain: created if missing, started again (new generation) if destroyed."""
    return _create(account, domain_id, revive=True)


def ensure(account: str, domain_id: str) -> Domain:
    """The Active domain, created if it never existed; DomainDestroyed if it was destroyed."""
    return _create(account, domain_id, revive=False)


def _create(account: str, domain_id: str, *, revive: bool) -> Domain:
    if not account or not domain_id:
        raise ValueError("account and domain id are required")
    for _ in range(5):
        doc = key_domains.get(account, domain_id)
        if doc is not None and doc.get("State") == key_domains.ACTIVE:
            return from_item(account, domain_id, doc)
        if doc is not None and not revive:
            raise DomainDestroyed(f"key domain {domain_id} was destroyed")
        previous = int(doc["Generation"]) if doc else 0
        generation = previous + 1
        master, blob = root.new_master_key(account, domain_id, generation)
        if key_domains.put_active(account, domain_id, generation, blob, previous):
            _remember(Domain(account, domain_id, generation, blob), master)
            return Domain(account, domain_id, generation, blob)
        # Someone else created (or re-created) it meanwhile: read again.
    return get(account, domain_id)


def destroy(account: str, domain_id: str) -> Optional[float]:
    """Drop the domain's master key (crypto-shredding); when that happened (epoch seconds; the first
    time, if it was destroyed already), or None if the domain never existed. Idempotent; deleting the
    domain's keys is the caller's next step (see layers.keystore)."""
    destroyed_ms = key_domains.mark_destroyed(account, domain_id)
    forget(account, domain_id)
    return None if destroyed_ms is None else destroyed_ms / 1000


# ---- master keys ----

def master_key(domain: Domain) -> bytes:
    digest = hashlib.sha256(domain.master_blob).digest()
    slot = (domain.account, domain.domain_id, digest)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(slot)
        if hit and hit[1] > now:
            return hit[0]
    master = root.open_master_key(domain.account, domain.domain_id, domain.generation, domain.master_blob)
    _remember(domain, master)
    return master


def _remember(domain: Domain, master: bytes) -> None:
    slot = (domain.account, domain.domain_id, hashlib.sha256(domain.master_blob).digest())
    now = time.monotonic()
    with _cache_lock:
        if len(_cache) >= _MASTER_CACHE_LIMIT:
            stale = [k for k, (_, expires) in _cache.items() if expires <= now]
            for k in stale or list(_cache)[:_MASTER_CACHE_LIMIT // 4]:    # else the oldest quarter
                del _cache[k]
        _cache[slot] = (master, now + MASTER_CACHE_SECONDS)


def forget(account: str, domain_id: str) -> None:
    """Drop the domain's opened master keys from this process's memory."""
    with _cache_lock:
        for k in [k for k in _cache if k[0] == account and k[1] == domain_id]:
            del _cache[k]
