"""Reading what the review list needs from GitHub: the action-item issues, and who closed some.

The list (`core/agenda.py`) is built from issues only, never from notes. Two
listings give it everything but the closers: the open items, and the items
closed since the newest meeting an open item names (an item closed after a
meeting was updated after it, so `since=` keeps the closed listing short; the
newest meeting of all items is found among both). The issues listing does not
say who closed an issue, so each item the list shows as closed is read once
more; all of these reads carry ETags, so asking again for an unchanged
repository is answered with 304s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from actionbot.core import agenda
from actionbot.core.config import Config
from actionbot.core.render import parse_marker
from actionbot.engine.port import GitHub


async def review_list(
    gh: GitHub, repo: str, config: Config, *, now: datetime | None = None, since: str | None = None
) -> agenda.Agenda:
    """The review list of the action items in `repo` (the tracking repository)."""
    now = now or datetime.now(UTC)
    label = config.labels.action_item
    open_items = await gh.list_issues(repo, labels=[label], state="open")
    newest_open = since or _newest(open_items)
    closed = await gh.list_issues(repo, labels=[label], state="closed", since=_midnight(newest_open))
    issues = [*open_items, *closed]
    first = agenda.build(repo, issues, now, since=since)
    closers: dict[int, str] = {}
    for item in first.closed:
        data = await gh.get_issue(repo, item.number)
        login = ((data or {}).get("closed_by") or {}).get("login")
        if login:
            closers[item.number] = login
    return agenda.build(repo, issues, now, since=since, closed_by=closers) if closers else first


def _newest(issues: list[dict[str, Any]]) -> str | None:
    dates = [d for i in issues if (m := parse_marker(i.get("body"))) for d in (m.meeting, *m.meetings) if d]
    return max(dates, default=None)


def _midnight(date: str | None) -> str | None:
    """A whole day, so the listing's URL (and its ETag) stays the same all day."""
    return f"{date[:10]}T00:00:00Z" if date else None
