"""The search store this process uses: OpenSearch at GZ_OPENSEARCH_URL (deployed), else the
embedded store in GZ_SEARCH_DIR (one machine). One per process, rebuilt if the setting changes."""
import threading
import time
from typing import Optional, Tuple

from layers.config import settings
from layers.search.store import SearchStore, StoreUnavailable

_current: Optional[Tuple[tuple, SearchStore]] = None
_lock = threading.Lock()


def default_store() -> SearchStore:
    global _current
    s = settings()
    wanted = (s.opensearch_url, s.search_dir, s.opensearch_auth)
    with _lock:
        if _current is None or _current[0] != wanted:
            if _current is not None and hasattr(_current[1], "close"):
                _current[1].close()        # one embedded store per folder in a process
            _current = (wanted, _open(s.opensearch_url, s.search_dir))
        return _current[1]


def close_default() -> None:
    """Close this process's store (the embedded one commits and lets its folder go)."""
    global _current
    with _lock:
        if _current is not None and hasattr(_current[1], "close"):
            _current[1].close()
        _current = None


def _open(url: str, directory: str) -> SearchStore:
    if url:
        from layers.search.opensearch import OpenSearchStore, sigv4_auth
        from layers.audit.config import audit_settings
        s = settings()
        auth = sigv4_auth(s.aws_region) if s.opensearch_auth == "sigv4" else None
        return OpenSearchStore(url, timeout=audit_settings().store_timeout, auth=auth)
    if directory:
        from layers.search.embedded import EmbeddedStore
        return EmbeddedStore(directory)
    raise StoreUnavailable("no search store is configured: set GZ_OPENSEARCH_URL or GZ_SEARCH_DIR")


# When this process last made a store ready for each family; forgotten when the store was
# unreachable (it may come back empty). Again every few minutes: an OpenSearch index created
# without its template would get dynamic mappings.
_ready: dict = {}
READY_RECHECK_SECONDS = 300


def ensure_ready(store: SearchStore, families) -> None:
    now = time.monotonic()
    due = [f for f in families if _ready.get((id(store), f.prefix), -1e9) + READY_RECHECK_SECONDS < now]
    if due:
        store.install(due)
        _ready.update({(id(store), f.prefix): now for f in due})


def forget(store: SearchStore) -> None:
    for key in [k for k in _ready if k[0] == id(store)]:
        _ready.pop(key, None)
