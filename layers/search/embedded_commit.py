"""Writes to one day's index, committed in groups.

A write returns once its records are committed (tantivy fsyncs the segment and meta.json), so a
record acknowledged survives a crash. A commit costs 10-30 ms however many records it holds, so
writes from several threads share commits: each write checks its ids and queues its documents
(under `lock`, which no commit holds), then one of the writes waiting leads: it commits all that
is queued, and the writes whose records that commit held return. While a commit runs the next
group queues up. A leader first waits briefly (GATHER_S at most) for as many writes as recent
commits held, so that with steady concurrency groups do not alternate between big and small.
"""
import threading
from typing import Dict, List, Optional, Sequence, Set

import tantivy

from layers.search.embedded_errors import tantivy_errors
from layers.search.query import Record
from layers.search.store import StoreUnavailable

GATHER_S = 0.005
MAX_FAILURES_KEPT = 1024


class GroupCommit:
    def __init__(self, day):
        self.day = day                        # the DayIndex: its index, documents and errors
        self.lock = threading.Lock()          # everything below; the writer is the leader's
        self.changed = threading.Condition(self.lock)
        self.leading = False                  # a commit (or the writer's closing) is under way
        self.writer: Optional[tantivy.IndexWriter] = None
        self.gen = 0                          # the generation being queued
        self.done = -1                        # generations up to this one are committed or failed
        self.failures: Dict[int, str] = {}
        self.queue: List[tantivy.Document] = []
        self.queue_ids: List[str] = []
        self.queued_writes = 0
        self.expected = 0.0                   # writes per commit lately
        self.unsettled: Dict[str, int] = {}   # id -> generation, for ids queued or being committed
        self.closed = False

    def write(self, records: Sequence[Record]) -> None:
        """Store the records whose ids are not here yet; returns once they are committed."""
        with self.lock:
            if self.closed:
                raise StoreUnavailable(f"search partition {self.day.label} was closed meanwhile")
            stored = self.day.stored_ids([r.id for r in records])
            waits: Set[int] = set()
            for r in records:
                if r.id in stored:
                    continue
                if r.id not in self.unsettled:
                    self.queue.append(self.day.document(r))
                    self.queue_ids.append(r.id)
                    self.unsettled[r.id] = self.gen
                waits.add(self.unsettled[r.id])
            if self.gen in waits:
                self.queued_writes += 1
                self.changed.notify_all()
            if not waits or not self._lead(max(waits)):
                failed = [self.failures[g] for g in waits if g in self.failures]
                if failed:
                    raise StoreUnavailable(failed[0])
                return
        try:
            self._commit()
        finally:
            self._step_down()
        with self.lock:
            failed = [self.failures[g] for g in waits if g in self.failures]
        if failed:
            raise StoreUnavailable(failed[0])

    def _lead(self, gen: int) -> bool:
        """(Under `lock`) wait until generation `gen` is settled -> False, or until this write
        is to commit it -> True, once the writes expected have queued (or GATHER_S passed)."""
        while self.done < gen:
            if not self.leading:
                self.leading = True
                self.changed.wait_for(lambda: self.queued_writes >= self.expected - 0.5, GATHER_S)
                return True
            self.changed.wait()
        return False

    def _step_down(self) -> None:
        with self.lock:
            self.leading = False
            self.changed.notify_all()

    def _commit(self) -> None:
        """Commit what is queued (as the leader)."""
        with self.lock:
            gen, docs, ids = self.gen, self.queue, self.queue_ids
            self.queue, self.queue_ids = [], []
            self.expected = max(self.queued_writes, self.expected * 0.75)
            self.queued_writes = 0
            self.gen += 1
        why = ""
        try:
            with tantivy_errors(self.day.unavailable):
                if docs:
                    writer = self._writer()
                    for doc in docs:
                        writer.add_document(doc)
                    writer.commit()
                    self.day.index.reload()  # before the ids leave `unsettled`: a write sees them
        except StoreUnavailable as e:
            why = str(e)
        if why:
            self.writer = None  # with whatever it holds uncommitted; the next write opens another
        with self.lock:
            if why:
                self.failures[gen] = why
                if len(self.failures) > MAX_FAILURES_KEPT:
                    del self.failures[min(self.failures)]
            for i in ids:
                del self.unsettled[i]
            self.done = gen

    def _writer(self) -> tantivy.IndexWriter:
        if self.writer is None:
            self.writer = self.day.open_writer()
        return self.writer

    def close_writer(self) -> None:
        """Commit what is queued, then let the writer go (its heap, threads and lock)."""
        with self.lock:
            self.changed.wait_for(lambda: not self.leading)
            self.leading = True
        try:
            if self.queue:
                self._commit()
            writer, self.writer = self.writer, None
            if writer is not None:
                with tantivy_errors(self.day.unavailable):
                    writer.wait_merging_threads()
        finally:
            self._step_down()

    def close(self) -> None:
        with self.lock:
            self.closed = True
        self.close_writer()
