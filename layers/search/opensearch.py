"""The search store on OpenSearch (an OpenSearch domain deployed; osmem-server in tests).

A family's day is the index `<prefix>-YYYY.MM.DD`; an index template per family maps its fields
(`template`), and every document keeps only its source in `_source`. A search names the days of
its range that exist (a wide range: the family's wildcard, the range filter doing the rest),
sorts by (time desc, id desc) and resumes with search_after.
"""
import datetime as dt
import json
import re
import time
from typing import Dict, List, Sequence

from opensearchpy import OpenSearch
from opensearchpy import exceptions as os_errors

from layers.search.query import AllOf, AnyOf, Clause, Contains, Family, Hit, Record, Result, Search, Term, day_of
from layers.search.store import ItemResult, StoreUnavailable

_TRANSIENT_STATUS = {403, 408, 429, 500, 502, 503, 504}
MAX_NAMED_DAYS = 60          # more days than this are searched through the family's wildcard
_DAY = re.compile(r"-(\d{4})\.(\d{2})\.(\d{2})$")
_LISTING_SECONDS = 1.0       # how long a listing of a family's days is reused


def _unavailable(exc: Exception) -> bool:
    if isinstance(exc, (os_errors.ConnectionError, os_errors.ConnectionTimeout)):
        return True
    if isinstance(exc, os_errors.TransportError):
        status = exc.status_code if isinstance(exc.status_code, int) else 0
        return status in _TRANSIENT_STATUS or status == 0
    return False


def _reason(exc: Exception) -> str:
    info = getattr(exc, "info", None)
    if isinstance(info, dict) and isinstance(info.get("error"), dict):
        return f"{info['error'].get('type')}: {info['error'].get('reason')}"
    return str(exc)[:300]


def template(family: Family) -> dict:
    """The index template of a family's daily indices."""
    props: Dict[str, dict] = {family.id_field: {"type": "keyword"}, "AccountId": {"type": "keyword"},
                              family.time_field: {"type": "date", "format": "epoch_millis"}}
    props.update({f: {"type": "keyword"} for f in family.terms})
    # a longer text is stored but not searchable (a term is at most 32 KB)
    props.update({f: {"type": "keyword", "ignore_above": 8191} for f in family.texts})
    props.update({f: {"type": "text", "analyzer": "whitespace", "index_options": "docs", "norms": False}
                  for f in family.words})
    props.update({f: {"type": "long"} for f in family.numbers})
    return {"index_patterns": [f"{family.prefix}-*"], "priority": 10, "template": {
        "settings": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"},
        "mappings": {"dynamic": False, "_source": {"includes": [family.source_field]}, "properties": props}}}


def _escape_wildcard(text: str) -> str:
    return "".join("\\" + c if c in "\\*?" else c for c in text)


def render(family: Family, clause: Clause) -> dict:
    if isinstance(clause, Term):
        values = list(clause.values)
        return {"term": {clause.field: values[0]}} if len(values) == 1 else {"terms": {clause.field: values}}
    if isinstance(clause, Contains):
        pattern = _escape_wildcard(clause.prefix) + "*" + _escape_wildcard(clause.text) + "*"
        return {"wildcard": {clause.field: {"value": pattern, "case_insensitive": True}}}
    if isinstance(clause, AnyOf):
        return {"bool": {"should": [render(family, c) for c in clause.clauses], "minimum_should_match": 1}}
    if isinstance(clause, AllOf):
        return {"bool": {"filter": [render(family, c) for c in clause.clauses]}}
    raise TypeError(f"not a clause: {clause!r}")


def sigv4_auth(region: str, service: str = "es"):
    """Signs each request with this process's AWS credentials (a Lambda's or a task's role), as an
    OpenSearch Service domain with an IAM access policy requires; the credentials are read per
    request, so rotated role credentials are picked up."""
    import boto3
    from opensearchpy import Urllib3AWSV4SignerAuth
    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise StoreUnavailable("GZ_OPENSEARCH_AUTH is sigv4 but no AWS credentials were found")
    return Urllib3AWSV4SignerAuth(credentials, region, service)


class OpenSearchStore:
    def __init__(self, url: str, *, timeout: float = 10.0, auth=None) -> None:
        self.url = url
        self.client = OpenSearch(hosts=[url], timeout=timeout, max_retries=0, retry_on_timeout=False,
                                 http_compress=False, http_auth=auth)
        self._listed: Dict[str, tuple] = {}       # prefix -> (when, set of index names)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if _unavailable(exc):
                raise StoreUnavailable(f"{type(exc).__name__}: {_reason(exc)}") from exc
            raise

    # ---- templates ----
    def install(self, families: Sequence[Family]) -> None:
        for family in families:
            self._call(self.client.indices.put_index_template, name=family.prefix, body=template(family))

    # ---- reading ----
    def _names(self, family: Family, search: Search) -> List[str]:
        upper = search.end_ms if search.after is None else min(search.end_ms, search.after[0])
        if upper < search.start_ms:
            return []
        first, last = day_of(search.start_ms), day_of(upper)
        if (last - first).days >= MAX_NAMED_DAYS:
            return [f"{family.prefix}-*"]
        existing = self._existing(family)
        days = [last - dt.timedelta(days=i) for i in range((last - first).days + 1)]
        return [n for n in (family.partition(d) for d in days) if n in existing]

    def _existing(self, family: Family) -> set:
        listed = self._listed.get(family.prefix)
        if listed is None or time.monotonic() - listed[0] > _LISTING_SECONDS:
            listed = (time.monotonic(), set(self._list(family)))
            self._listed[family.prefix] = listed
        return listed[1]

    def _list(self, family: Family) -> List[str]:
        # the alias API lists names only (the _cat API also gathers statistics: far slower)
        found = self._call(self.client.indices.get_alias, index=f"{family.prefix}-*",
                           params={"allow_no_indices": "true", "ignore_unavailable": "true"})
        return sorted(found or {})

    def search(self, search: Search) -> Result:
        if search.after is not None and search.offset:
            raise ValueError("a search resumes after a record or skips an offset, not both")
        family = search.family
        names = self._names(family, search)
        if not names:
            return Result([], 0 if search.count else None)
        where = [{"term": {"AccountId": search.account}},
                 {"range": {family.time_field: {"gte": search.start_ms, "lte": search.end_ms}}},
                 *(render(family, c) for c in search.where)]
        body: dict = {"size": search.size, "query": {"bool": {"filter": where}},
                      "sort": [{family.time_field: {"order": "desc"}}, {family.id_field: {"order": "desc"}}],
                      "track_total_hits": bool(search.count)}
        if search.after is not None:
            body["search_after"] = [search.after[0], search.after[1]]
        if search.offset:
            body["from"] = search.offset
        resp = self._call(self.client.search, index=",".join(names), body=body,
                          params={"ignore_unavailable": "true", "allow_no_indices": "true"})
        hits = [Hit(int(h["sort"][0]), str(h["sort"][1]), h.get("_source", {}).get(family.source_field, ""))
                for h in resp["hits"]["hits"]]
        total = int(resp["hits"]["total"]["value"]) if search.count else None
        return Result(hits, total)

    # ---- writing ----
    def write(self, family: Family, records: Sequence[Record]) -> List[ItemResult]:
        if not records:
            return []
        lines = []
        for r in records:
            doc = {family.id_field: r.id, family.time_field: r.time_ms, "AccountId": r.account, **r.fields,
                   family.source_field: r.source}
            lines.append(json.dumps({"create": {"_index": family.partition(day_of(r.time_ms)), "_id": r.id}}))
            lines.append(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
        resp = self._call(self.client.bulk, body=("\n".join(lines) + "\n").encode("utf-8"), params={"refresh": "false"})
        results = []
        for r, item in zip(records, resp.get("items", [])):
            op = item.get("create") or next(iter(item.values()))
            status = int(op.get("status", 500))
            if status in (200, 201, 409):   # 409: stored before (a redelivered record)
                results.append(ItemResult(r.id, True))
            else:
                err = op.get("error") or {}
                reason = f"{err.get('type', status)}: {err.get('reason', '')}" if isinstance(err, dict) else str(err)
                results.append(ItemResult(r.id, False, transient=status in _TRANSIENT_STATUS, error=reason))
        if len(results) != len(records):
            raise StoreUnavailable(f"bulk answered {len(results)} items for {len(records)} records")
        self._listed.pop(family.prefix, None)
        return results

    # ---- days ----
    def days(self, family: Family) -> List[dt.date]:
        out = []
        for name in self._list(family):
            m = _DAY.search(name)
            if m and name == family.partition(dt.date(*map(int, m.groups()))):
                out.append(dt.date(*map(int, m.groups())))
        return sorted(out)

    def drop_day(self, family: Family, day: dt.date) -> bool:
        self._listed.pop(family.prefix, None)
        try:
            self._call(self.client.indices.delete, index=family.partition(day))
            return True
        except os_errors.NotFoundError:
            return False

    def count(self, family: Family, day: dt.date) -> int:
        try:
            return int(self._call(self.client.count, index=family.partition(day))["count"])
        except os_errors.NotFoundError:
            return 0

    # ---- the runbook's operations (OpenSearch only) ----
    def set_read_only(self, read_only: bool) -> None:
        """cluster.blocks.read_only_allow_delete, as the seed's failure plan toggles it."""
        self._call(self.client.cluster.put_settings, body={
            "persistent": {"cluster.blocks.read_only_allow_delete": True if read_only else None}})

    def refresh(self, family: Family) -> None:
        self._call(self.client.indices.refresh, index=f"{family.prefix}-*",
                   params={"allow_no_indices": "true", "ignore_unavailable": "true"})
