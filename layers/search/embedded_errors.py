"""How the embedded store fails: a damaged day, and tantivy's errors translated."""
import datetime as dt
from contextlib import contextmanager

from layers.search.store import StoreUnavailable


class PartitionDamaged(StoreUnavailable):
    """A day's index cannot be read as it was written: rebuild it (from the archive) or drop it.
    The store refuses it until then rather than answer from it."""

    def __init__(self, prefix: str, day: dt.date, why: str):
        super().__init__(f"search partition {prefix}-{day:%Y.%m.%d} is damaged: {why}")
        self.prefix, self.day = prefix, day


@contextmanager
def tantivy_errors(on_error):
    """tantivy reports failures as ValueError, OSError, RuntimeError or a Rust panic (a
    BaseException named PanicException); `on_error(message)` returns what to raise instead."""
    try:
        yield
    except (ValueError, OSError, RuntimeError) as e:
        raise on_error(str(e)) from e
    except BaseException as e:
        if type(e).__name__ != "PanicException":
            raise
        raise on_error(f"tantivy panicked: {e}") from e
