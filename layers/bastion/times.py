"""Times as the bastion API writes them: ISO 8601 in China Standard Time (+08:00).

Input datetimes without an offset are read as +08:00, the console's time zone."""
from datetime import datetime, timedelta, timezone
from typing import Optional

CST = timezone(timedelta(hours=8))


def now() -> datetime:
    return datetime.now(timezone.utc)


def parse(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=CST)


def iso(value: datetime) -> str:
    return value.astimezone(CST).replace(microsecond=0).isoformat()


def iso_now() -> str:
    return iso(now())


def millis(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def from_millis(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def add_months(value: datetime, months: int) -> datetime:
    """Same day-of-month `months` later (clamped to the month's last day)."""
    month0 = value.month - 1 + months
    year, month = value.year + month0 // 12, month0 % 12 + 1
    for day in (value.day, 30, 29, 28):
        try:
            return value.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError("unreachable")


def window_status(start: Optional[str], end: Optional[str], at: Optional[datetime] = None) -> int:
    """1 in effect, 2 not yet in effect, 3 expired (a missing bound is open)."""
    at = at or now()
    if start and parse(start) > at:
        return 2
    if end and parse(end) < at:
        return 3
    return 1
