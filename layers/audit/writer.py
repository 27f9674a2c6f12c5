"""Events -> the store: each event's record in its daily partition. The indexer, the rebuild
from the archive and the benchmarks' loader all write through here."""
from typing import List, Sequence

from layers.audit.document import family, to_record
from layers.search.store import ItemResult, SearchStore


def store_events(store: SearchStore, events: Sequence[dict], prefix: str) -> List[ItemResult]:
    """One result per event, in order: ok when its record is stored (now or before)."""
    return store.write(family(prefix), [to_record(e) for e in events])
