"""Events -> the store: each event's document in its daily index and the value-days documents
it needs (layers/audit/value_days.py), in one bulk request. The indexer, the rebuild from the
archive and the benchmarks' loader all write through here."""
from typing import List, Optional, Sequence

from layers.audit import indices, value_days
from layers.audit.document import to_document
from layers.audit.store import Doc, EventStore, ItemResult


def store_events(store: EventStore, events: Sequence[dict], prefix: str,
                 known: Optional[value_days.Known] = None) -> List[ItemResult]:
    """One result per event, in order: ok when its document and its digest document are
    stored (now or before). The digest goes first in the request, so a search that sees
    the event also finds it by its values. With `known`, values stored lately are not
    written again (the indexer's steady state: the same accounts, keys and addresses)."""
    docs = [Doc(indices.index_for(prefix, e["EventTime"]), e["EventId"], to_document(e)) for e in events]
    digest, owner = value_days.documents(prefix, docs, known)
    results = store.bulk_create(digest + docs)
    digested, stored = results[:len(digest)], results[len(digest):]
    if known is not None:
        known.add(k for d, r in zip(digest, digested) if r.ok for k in value_days.keys_of(d))
    out = []
    for result, own in zip(stored, owner):
        missing = digested[own] if own is not None else None
        if result.ok and missing is not None and not missing.ok:
            result = ItemResult(result.id, False, transient=missing.transient,
                                error=f"value-days document: {missing.error}")
        out.append(result)
    return out
