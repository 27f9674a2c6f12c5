"""Daily indices: an event lives in `<prefix>-YYYY.MM.DD`, the UTC day of its EventTime."""
import datetime as dt
import re
from typing import List, Optional

from layers.search.query import DAY_MS, day_of, day_start_ms  # noqa: F401  (the partitions' days)


def index_name(prefix: str, day: dt.date) -> str:
    return f"{prefix}-{day:%Y.%m.%d}"


def index_for(prefix: str, event_time_ms: int) -> str:
    return index_name(prefix, day_of(event_time_ms))


def parse_index(prefix: str, name: str) -> Optional[dt.date]:
    """The day of a daily index name, or None if the name is not one."""
    m = re.fullmatch(re.escape(prefix) + r"-(\d{4})\.(\d{2})\.(\d{2})", name)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def days_newest_first(start_ms: int, end_ms: int) -> List[dt.date]:
    """Every UTC day that [start_ms, end_ms] touches, newest first."""
    if end_ms < start_ms:
        return []
    first, last = day_of(start_ms), day_of(end_ms)
    n = (last - first).days
    return [last - dt.timedelta(days=i) for i in range(n + 1)]
