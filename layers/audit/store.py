"""The search store behind CloudAudit, as a small interface: search, bulk write, delete index,
templates (and fields added to indices made before). `OpenSearchStore` implements it with
opensearch-py (osmem-server locally, an OpenSearch domain deployed); the query and indexing code
never touch the client directly.
"""
import json
import logging
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Protocol, Sequence, Tuple

from opensearchpy import OpenSearch
from opensearchpy import exceptions as os_errors

from layers.audit.config import audit_settings
from layers.config import settings

log = logging.getLogger("guardzone.audit.store")


class StoreUnavailable(Exception):
    """The store could not be reached, or refuses writes as a whole (e.g. a read-only cluster).
    Transient: the same request can succeed later."""


@dataclass
class Hit:
    index: str
    id: str
    sort: list
    source: dict
    matched: Sequence[str] = ()      # the names of the query's named clauses it matched ("_name")


@dataclass
class ItemResult:
    id: str
    ok: bool                  # stored now, or already stored before (same id)
    transient: bool = False   # failed, but may succeed later (store full, read-only, overloaded)
    error: str = ""


@dataclass
class Doc:
    index: str
    id: str
    source: dict = field(default_factory=dict)


class EventStore(Protocol):
    def search(self, indices: Sequence[str], query: dict, *, sort: list, size: int,
               search_after: Optional[list] = None, source: bool = True) -> List[Hit]:
        """Hits of `query` in those indices (missing ones are skipped), ordered by `sort`;
        without `source`, each hit's sort values alone (its source is {})."""

    def bulk_create(self, docs: Sequence[Doc]) -> List[ItemResult]:
        """Create each document under its id unless it exists; one result per document, in order."""

    def delete_index(self, name: str) -> bool:
        """Delete one index; False if it did not exist."""

    def list_indices(self, pattern: str) -> List[str]:
        """Names of the existing indices matching a wildcard pattern."""

    def put_templates(self, templates: Dict[str, dict]) -> None:
        """Install (or replace) index templates by name."""

    def add_fields(self, pattern: str, properties: Dict[str, dict]) -> None:
        """Map fields in the existing indices matching a pattern (documents stored before are
        not indexed again: they keep what they had)."""


_TRANSIENT_STATUS = {403, 408, 429, 500, 502, 503, 504}


def _unavailable(exc: Exception) -> bool:
    if isinstance(exc, (os_errors.ConnectionError, os_errors.ConnectionTimeout)):
        return True
    if isinstance(exc, os_errors.TransportError):
        status = exc.status_code if isinstance(exc.status_code, int) else 0
        return status in _TRANSIENT_STATUS or status == 0
    return False


class OpenSearchStore:
    def __init__(self, url: str, *, timeout: Optional[float] = None) -> None:
        self.url = url
        self.client = OpenSearch(hosts=[url], timeout=timeout or audit_settings().store_timeout,
                                 max_retries=0, retry_on_timeout=False, http_compress=False)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if _unavailable(exc):
                raise StoreUnavailable(f"{type(exc).__name__}: {_reason(exc)}") from exc
            raise

    def search(self, indices, query, *, sort, size, search_after=None, source=True) -> List[Hit]:
        if not indices:
            return []
        body: dict = {"size": size, "query": query, "sort": sort, "track_total_hits": False}
        if search_after is not None:
            body["search_after"] = list(search_after)
        if not source:
            # the store reads a hit's whole stored document to give back its _source, even
            # with fields excluded: for the digest's documents, thousands of values each
            body["_source"] = False
        resp = self._call(self.client.search, index=",".join(indices), body=body,
                          params={"ignore_unavailable": "true", "allow_no_indices": "true"})
        return [Hit(h["_index"], h["_id"], h.get("sort", []), h.get("_source", {}), h.get("matched_queries", ()))
                for h in resp["hits"]["hits"]]

    def bulk_create(self, docs) -> List[ItemResult]:
        if not docs:
            return []
        lines = []
        for d in docs:
            lines.append(json.dumps({"create": {"_index": d.index, "_id": d.id}}))
            lines.append(json.dumps(d.source, ensure_ascii=False, separators=(",", ":")))
        payload = ("\n".join(lines) + "\n").encode("utf-8")
        resp = self._call(self.client.bulk, body=payload)
        results = []
        for d, item in zip(docs, resp.get("items", [])):
            op = item.get("create") or next(iter(item.values()))
            status = int(op.get("status", 500))
            if status in (200, 201, 409):   # 409: already there (a redelivered event)
                results.append(ItemResult(d.id, True))
            else:
                err = op.get("error") or {}
                reason = f"{err.get('type', status)}: {err.get('reason', '')}" if isinstance(err, dict) else str(err)
                results.append(ItemResult(d.id, False, transient=status in _TRANSIENT_STATUS, error=reason))
        if len(results) != len(docs):
            raise StoreUnavailable(f"bulk answered {len(results)} items for {len(docs)} documents")
        return results

    def delete_index(self, name: str) -> bool:
        try:
            self._call(self.client.indices.delete, index=name)
            return True
        except os_errors.NotFoundError:
            return False

    def list_indices(self, pattern: str) -> List[str]:
        # The alias API lists names only (the _cat API also gathers statistics: far slower).
        found = self._call(self.client.indices.get_alias, index=pattern,
                           params={"allow_no_indices": "true", "ignore_unavailable": "true"})
        return sorted(found or {})

    def put_templates(self, templates: Dict[str, dict]) -> None:
        for name, body in templates.items():
            self._call(self.client.indices.put_index_template, name=name, body=body)

    def add_fields(self, pattern: str, properties: Dict[str, dict]) -> None:
        self._call(self.client.indices.put_mapping, index=pattern, body={"properties": properties},
                   params={"allow_no_indices": "true", "ignore_unavailable": "true"})

    # Operations outside the interface, for the runbook (CLI) and tests.
    def set_read_only(self, read_only: bool) -> None:
        """cluster.blocks.read_only_allow_delete, as the seed's failure plan toggles it."""
        self._call(self.client.cluster.put_settings, body={
            "persistent": {"cluster.blocks.read_only_allow_delete": True if read_only else None}})

    def count(self, index: str, query: Optional[dict] = None) -> int:
        body = {"query": query} if query else None
        return int(self._call(self.client.count, index=index, body=body,
                              params={"ignore_unavailable": "true", "allow_no_indices": "true"})["count"])

    def doc_counts(self, pattern: str) -> List[Tuple[str, int]]:
        rows = self._call(self.client.cat.indices, index=pattern,
                          params={"format": "json", "h": "index,docs.count"})
        return sorted((r["index"], int(r.get("docs.count") or 0)) for r in rows or [])


def _reason(exc: Exception) -> str:
    info = getattr(exc, "info", None)
    if isinstance(info, dict):
        err = info.get("error")
        if isinstance(err, dict):
            return f"{err.get('type')}: {err.get('reason')}"
    return str(exc)[:300]


_default: Optional[OpenSearchStore] = None


def default_store() -> OpenSearchStore:
    """The store at GZ_OPENSEARCH_URL (one client per process, rebuilt if the URL changes)."""
    global _default
    url = settings().opensearch_url
    if not url:
        raise StoreUnavailable("GZ_OPENSEARCH_URL is not set")
    if _default is None or _default.url != url:
        _default = OpenSearchStore(url)
    return _default
