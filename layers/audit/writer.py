"""Events -> the store: each event's record in its daily partition. The indexer, the rebuild
from the archive and the benchmarks' loader all write through here."""
from typing import List, Optional, Sequence

from layers.audit.document import family, to_record
from layers.search.store import ItemResult, SearchStore


def store_events(store: SearchStore, events: Sequence[dict], prefix: str,
                 lines: Optional[Sequence[str]] = None) -> List[ItemResult]:
    """One result per event, in order: ok when its record is stored (now or before). `lines`, the
    JSON each event was parsed from, become the records' sources as they are."""
    return store.write(family(prefix), [to_record(e, lines[i] if lines else None) for i, e in enumerate(events)])
