"""KMS keys (CMKs): finding them for a caller, their lifecycle, and their material.

A key belongs to one account and one region, and lives in one key domain: the VSM named by
HsmClusterId, or the account's default domain. A lookup reads the key and its domain together
(one round trip once the key's domain is known to this process): a key whose domain was destroyed,
or whose deletion date passed, is deleted on sight and reported as not found.

What a lookup read is kept for keystore.READ_CACHE_SECONDS (1 s) in process memory, so a busy key
costs one store read a second, not one per request. This process forgets a key as soon as it changes
it; a change made by another process is seen within that second; destroy_domain waits it out.

Opened key material is kept in process memory (bounded, a few minutes) under a digest of its wrapped
form; it is only reached after a lookup found the key and its domain alive.
"""
import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

from layers import keystore
from layers.gateway.action import RequestContext
from layers.gateway.errors import ApiError
from layers.keystore import domains, stored_keys
from layers.keystore.errors import DomainDestroyed, DomainNotFound, UnwrapFailed
from layers.kms import errors, material
from layers.kms.params import check_key_id
from layers.kms.usages import ENCRYPT_DECRYPT, USAGES, Usage
from layers.regions import DEFAULT_REGION
from layers.stores import key_domains, kms_keys

log = logging.getLogger("guardzone.kms")

ENABLED, DISABLED, PENDING_DELETE = "Enabled", "Disabled", "PendingDelete"
PENDING_IMPORT, ARCHIVED = "PendingImport", "Archived"
ORIGIN_KMS, ORIGIN_EXTERNAL = "TENCENT_KMS", "EXTERNAL"
KEY_LIMIT = 200                      # keys per account per region (GetServiceStatus CmkLimit)
DAY = 86400
DEFAULT_ROTATE_DAYS = 365
MATERIAL_CACHE_SECONDS = 300
_MATERIAL_CACHE_LIMIT = 1024
_DOMAIN_HINT_LIMIT = 100_000

_KEY_CACHE_LIMIT = 10_000

_key_cache: "OrderedDict[tuple, tuple]" = OrderedDict()     # (account, key id) -> (key, domain, expires)
_material_cache: "OrderedDict[bytes, tuple]" = OrderedDict()
_domain_hint: "OrderedDict[tuple, str]" = OrderedDict()    # (account, key id) -> domain id, which never changes
_lock = threading.Lock()


def region_of(ctx: RequestContext) -> str:
    return ctx.region or DEFAULT_REGION


@dataclass
class Key:
    account: str
    doc: dict
    domain: domains.Domain

    @property
    def key_id(self) -> str:
        return self.doc["KeyId"]

    @property
    def state(self) -> str:
        return self.doc["KeyState"]

    @property
    def usage(self) -> Usage:
        return USAGES[self.doc["KeyUsage"]]

    @property
    def current(self) -> int:
        return int(self.doc["Current"])


# ---- lookup ----

def find(ctx: RequestContext, key_id: str) -> Key:
    """The caller's key in the request's region, whatever its state; CmkNotFound otherwise."""
    check_key_id(key_id)
    account = ctx.account
    cached = _cached(account, key_id)
    started = None
    if cached:
        doc, domain = cached
    else:
        started = time.monotonic()
        doc, domain = _read(account, key_id)
    if doc is None or doc.get("Region") != region_of(ctx):
        raise errors.cmk_not_found(key_id)
    if domain is None:
        purge(account, doc, {"Generation": doc["Generation"]})
        raise errors.cmk_not_found(key_id)
    now = int(time.time())
    if expired(doc, now):
        purge(account, doc, {"KeyState": PENDING_DELETE, "DeletionDate": doc["DeletionDate"]})
        raise errors.cmk_not_found(key_id)
    if material_expired(doc, now):
        return _expire_material(Key(account, doc, domain))
    if started is not None:
        _keep(account, key_id, doc, domain, started)
    return Key(account, doc, domain)


def material_expired(doc: dict, now: int) -> bool:
    """Imported material past its ValidTo: the key goes back to PendingImport, its material is dropped."""
    valid_to = int(doc.get("ValidTo") or 0)
    return (doc.get("Origin") == ORIGIN_EXTERNAL and 0 < valid_to <= now
            and doc["KeyState"] not in (PENDING_IMPORT, PENDING_DELETE))


def _expire_material(key: Key) -> Key:
    drop_material(key)
    kms_keys.update(key.account, key.key_id, {"KeyState": PENDING_IMPORT, "Material": {}},
                    {"KeyState": key.state, "ValidTo": key.doc["ValidTo"]})
    forget(key.account, key.key_id)
    doc = kms_keys.get(key.account, key.key_id)
    if doc is None:
        raise errors.cmk_not_found(key.key_id)
    return Key(key.account, doc, key.domain)


def _read(account: str, key_id: str):
    """(key item or None, its domain if alive in the key's generation, else None)."""
    with _lock:
        hint = _domain_hint.get((account, key_id))
    if hint:
        doc, domain_doc = kms_keys.get_with(account, key_id, key_domains.sort_key(hint))
    else:
        doc, domain_doc = kms_keys.get(account, key_id), None
    if doc is None:
        return None, None
    if doc["Domain"] != hint:
        domain_doc = key_domains.get(account, doc["Domain"])
        with _lock:
            _domain_hint[(account, key_id)] = doc["Domain"]
            if len(_domain_hint) > _DOMAIN_HINT_LIMIT:
                _domain_hint.popitem(last=False)
    try:
        domain = domains.from_item(account, doc["Domain"], domain_doc)
    except (DomainNotFound, DomainDestroyed):
        return doc, None
    return doc, (domain if domain.generation == int(doc["Generation"]) else None)


def purge(account: str, doc: dict, expect: dict) -> bool:
    """Delete a key (forgetting it here) if it still has the expected values; whether it was deleted."""
    forget(account, doc["KeyId"])
    return kms_keys.delete(account, doc, expect)


def _cached(account: str, key_id: str):
    with _lock:
        hit = _key_cache.get((account, key_id))
    if hit and hit[2] > time.monotonic():
        return hit[0], hit[1]
    return None


def _keep(account: str, key_id: str, doc: dict, domain: domains.Domain, started: float) -> None:
    # Counted from before the read, so nothing outlives keystore.READ_CACHE_SECONDS after a change.
    with _lock:
        _key_cache[(account, key_id)] = (doc, domain, started + keystore.READ_CACHE_SECONDS)
        _key_cache.move_to_end((account, key_id))
        while len(_key_cache) > _KEY_CACHE_LIMIT:
            _key_cache.popitem(last=False)


def forget(account: str, key_id: str) -> None:
    """Drop what this process keeps of a key (after it changed, here or elsewhere)."""
    with _lock:
        _key_cache.pop((account, key_id), None)


def _forget_domain(account: str, domain_id: str) -> None:
    with _lock:
        for k in [k for k, (doc, _, _) in _key_cache.items() if k[0] == account and doc["Domain"] == domain_id]:
            del _key_cache[k]


if _forget_domain not in keystore.destroy_listeners:
    keystore.destroy_listeners.append(_forget_domain)


def expired(doc: dict, now: int) -> bool:
    return doc["KeyState"] == PENDING_DELETE and int(doc.get("DeletionDate", 0)) <= now


def require_enabled(key: Key, operation: str, *, archived_ok: bool = False) -> None:
    """Enabled (or, for what an archived key still does, Archived: decrypting, verifying)."""
    if key.state == DISABLED:
        raise errors.cmk_disabled(key.key_id)
    if key.state == ARCHIVED:
        if archived_ok:
            return
        raise errors.cmk_archived(key.key_id, operation)
    if key.state != ENABLED:
        raise errors.cmk_state(key.key_id, "pending deletion" if key.state == PENDING_DELETE else key.state,
                               operation)


def usable(ctx: RequestContext, key_id: str, kind: str, operation: str, *, archived_ok: bool = False) -> Key:
    """An Enabled key of the given kind (usages.SYMMETRIC / DECRYPT / SIGN); Archived too with archived_ok."""
    key = find(ctx, key_id)
    if key.usage.kind != kind:
        raise errors.invalid_key_usage(key.key_id, key.usage.name, operation)
    require_enabled(key, operation, archived_ok=archived_ok)
    return key


def visible(ctx: RequestContext) -> list:
    """The caller's keys in the request's region, oldest first (expired and orphaned ones dropped)."""
    region, now = region_of(ctx), int(time.time())
    return [d for d in kms_keys.list_keys(ctx.account) if d.get("Region") == region and not expired(d, now)]


# ---- material ----

def secret(key: Key, version: Optional[int] = None):
    """The opened key object of a version (default: the current one); None if there is no such version."""
    version = key.current if version is None else version
    wrapped = (key.doc.get("Material") or {}).get(str(version))
    if wrapped is None:
        return None
    digest = _material_digest(key, version, wrapped)
    now = time.monotonic()
    with _lock:
        hit = _material_cache.get(digest)
        if hit and hit[1] > now:
            return hit[0]
    try:
        plain = stored_keys.unwrap(key.domain, key.key_id, version, wrapped)
    except UnwrapFailed:
        log.error("key material of %s version %d does not open under its domain %s", key.key_id, version,
                  key.domain.domain_id)
        raise ApiError("FailedOperation", f"The key material of CMK `{key.key_id}` cannot be opened.") from None
    obj = material.load(key.usage.material, plain)
    with _lock:
        _material_cache[digest] = (obj, now + MATERIAL_CACHE_SECONDS)
        _material_cache.move_to_end(digest)
        while len(_material_cache) > _MATERIAL_CACHE_LIMIT:
            _material_cache.popitem(last=False)
    return obj


def _material_digest(key: Key, version: int, wrapped: bytes) -> bytes:
    return hashlib.sha256(b"|".join([key.account.encode(), key.key_id.encode(), str(version).encode(),
                                     key.domain.domain_id.encode(), str(key.domain.generation).encode(),
                                     bytes(wrapped)])).digest()


def drop_material(key: Key) -> None:
    """Forget the opened material of every version of a key (its imported material was deleted)."""
    with _lock:
        for version, wrapped in (key.doc.get("Material") or {}).items():
            _material_cache.pop(_material_digest(key, int(version), wrapped), None)


def current_version(key: Key) -> int:
    """The version to encrypt with, after the scheduled rotation if it is due."""
    now = int(time.time())
    if key.doc.get("RotationEnabled") and key.state == ENABLED and int(key.doc.get("NextRotateTime", 0)) <= now:
        rotate(key, now)
    return key.current


def rotate(key: Key, now: int) -> int:
    """Add a new version of a symmetric key's material and make it current; old versions stay
    for decryption. A concurrent rotation wins instead: its version is used."""
    version = key.current + 1
    fresh, _ = material.generate(key.usage.material)
    wrapped = stored_keys.wrap(key.domain, key.key_id, version, fresh)
    changes = {"LastRotateTime": now}
    if key.doc.get("RotationEnabled"):
        changes["NextRotateTime"] = now + int(key.doc.get("RotateDays") or DEFAULT_ROTATE_DAYS) * DAY
    added = kms_keys.add_version(key.account, key.key_id, version, wrapped, changes)
    forget(key.account, key.key_id)
    if not added:
        fresh_doc = kms_keys.get(key.account, key.key_id)
        if fresh_doc is None:
            raise errors.cmk_not_found(key.key_id)
        key.doc = fresh_doc
        return key.current
    key.doc = {**key.doc, **changes, "Current": version,
               "Material": {**key.doc.get("Material", {}), str(version): wrapped}}
    return version


# ---- lifecycle ----

def create(ctx: RequestContext, *, alias: str, description: str, usage: Usage, tags: list,
           hsm_cluster_id: str, external: bool = False, imported: Optional[bytes] = None,
           key_id: Optional[str] = None, extra: Optional[dict] = None) -> dict:
    """A new key; an EXTERNAL one has no material until ImportKeyMaterial (KeyState PendingImport), unless
    its material comes with it (`imported`: an EXTERNAL key, Enabled at once). `extra`: more fields."""
    region = region_of(ctx)
    domain = _domain_for(ctx, region, hsm_cluster_id)
    key_id = key_id or str(uuid.uuid4())
    external = external or imported is not None
    if imported is not None:
        wrapped_versions, public_der = {"1": stored_keys.wrap(domain, key_id, 1, imported)}, None
    elif external:
        wrapped_versions, public_der = {}, None
    else:
        secret_material, public_der = material.generate(usage.material)
        wrapped_versions = {"1": stored_keys.wrap(domain, key_id, 1, secret_material)}
    doc = {"KeyId": key_id, "Region": region, "Alias": alias, "Description": description, "KeyUsage": usage.name,
           "KeyState": PENDING_IMPORT if external and imported is None else ENABLED,
           "Origin": ORIGIN_EXTERNAL if external else ORIGIN_KMS, "ValidTo": 0, "CreateTime": int(time.time()), "CreatedUs": time.time_ns() // 1000, "CreatorUin": ctx.uin or ctx.account,
           "Tags": tags, "HsmClusterId": hsm_cluster_id, "Domain": domain.domain_id,
           "Generation": domain.generation, "Current": 1,
           "Material": wrapped_versions,
           "PublicKey": public_der, "RotationEnabled": False, "RotateDays": 0, "NextRotateTime": 0,
           "LastRotateTime": 0, "DeletionDate": 0, **(extra or {})}
    try:
        kms_keys.create(ctx.account, doc, key_domains.alive_check(ctx.account, domain.domain_id, domain.generation),
                        KEY_LIMIT)
    except kms_keys.AliasTaken:
        raise errors.alias_exists(alias) from None
    except kms_keys.LimitReached:
        raise ApiError("LimitExceeded.CmkLimitExceeded",
                       f"An account may hold at most {KEY_LIMIT} CMKs in {region}.") from None
    except kms_keys.DomainGone:
        if hsm_cluster_id:
            raise errors.invalid_hsm_cluster(hsm_cluster_id, "the VSM was terminated") from None
        raise ApiError("FailedOperation", "The account's key domain changed meanwhile; try again.") from None
    except kms_keys.KeyChanged:
        raise ApiError("FailedOperation", "A KeyId collision occurred; try again.") from None
    return doc


def _domain_for(ctx: RequestContext, region: str, hsm_cluster_id: str) -> domains.Domain:
    if not hsm_cluster_id:
        return domains.create(ctx.account, keystore.DEFAULT_DOMAIN)
    from layers.cloudhsm import vsms
    from layers.stores import vsm as vsm_store
    vsm = vsm_store.get_vsm(ctx.account, hsm_cluster_id)
    if vsm is None or not vsms.in_region(vsm, ctx, region):
        raise errors.invalid_hsm_cluster(hsm_cluster_id, f"no VSM of the account in {region} has this id")
    try:
        return domains.ensure(ctx.account, hsm_cluster_id)
    except DomainDestroyed:
        raise errors.invalid_hsm_cluster(hsm_cluster_id, "the VSM was terminated") from None


def change(key: Key, changes: dict, remove: tuple = (), expect: Optional[dict] = None) -> None:
    """Apply changes to a key as it was read (and still has `expect`, None: absent); a concurrent change
    makes this FailedOperation."""
    updated = kms_keys.update(key.account, key.key_id, changes, {"KeyState": key.state, **(expect or {})}, remove)
    forget(key.account, key.key_id)
    if not updated:
        if kms_keys.get(key.account, key.key_id) is None:
            raise errors.cmk_not_found(key.key_id)
        raise ApiError("FailedOperation", f"CMK `{key.key_id}` was changed by another request; try again.")
    key.doc = {**{k: v for k, v in key.doc.items() if k not in remove}, **changes}


def is_symmetric(key: Key) -> bool:
    return key.usage.name == ENCRYPT_DECRYPT


def rename(key: Key, alias: str) -> None:
    try:
        kms_keys.rename(key.account, key.doc, alias)
    except kms_keys.AliasTaken:
        raise errors.alias_exists(alias) from None
    except kms_keys.KeyChanged:
        raise ApiError("FailedOperation", f"CMK `{key.key_id}` was changed by another request; try again.") from None
    finally:
        forget(key.account, key.key_id)
