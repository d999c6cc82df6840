"""How old something is, written the way people say it: "3 days", "5 weeks", "8 months", "2 years".

The dashboard and the review list show an item's age next to its meeting.
A count of days ("3257 d") makes the reader do arithmetic; a rounded-down
unit that grows with the age reads at a glance and stays the same for a while,
so a page that shows it is rewritten less often as well.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

# The time and the wait (time.time, asyncio.sleep), passed in so that tests can pass fake ones.
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def human_age(days: int) -> str:
    """Whole units, rounded down: days under two weeks, weeks under two months, months under a year."""
    days = max(0, days)
    if days == 0:
        return "today"
    if days < 14:
        return _plural(days, "day")
    if days < 60:
        return _plural(days // 7, "week")
    if days < 365:
        return _plural(days // 30, "month")
    return _plural(days // 365, "year")


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def parse_when(text: str | None) -> datetime | None:
    """An ISO date ("2025-05-12"), month ("2025-05", its first day) or timestamp as an aware datetime; None if none."""
    if not text:
        return None
    if len(text) == 7:  # a meeting dated by its month only
        text += "-01"
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def days_between(start: str | None, now: datetime) -> int | None:
    """Whole days from `start` (ISO) to `now`; None when `start` is not a date."""
    when = parse_when(start)
    if when is None:
        return None
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0, (now - when).days)
