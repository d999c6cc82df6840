"""The "Action items" dashboard issue: its body, and when to create, rewrite or leave it (pure).

One issue per tracking repository lets maintainers see every open action at a
glance. Its body is rendered deterministically from the action-item issues
(sorted, no timestamps of its own), so the handler rewrites it only when
something a reader would see changed: no edit, no notification churn. Logins
are written without "@" so that rewriting it never notifies anybody. At the
top, a chart (`chart.py`) shows per meeting how many items are done and how
many still open; it changes only when those counts change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from actionbot.core import chart
from actionbot.core.ages import human_age, parse_when
from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.core.safe_text import one_line

TITLE = "Action items"
MARKER = "<!-- actionbot:dashboard -->"
RECENT_DAYS = 30
NEEDS_OWNER = "needs owner"


@dataclass(frozen=True)
class DashItem:
    """One action-item issue as the dashboard shows it."""

    number: int
    title: str
    html_url: str
    owners: tuple[str, ...] = ()  # logins (or names when unmapped); none -> "needs owner"
    meeting: str | None = None  # e.g. "2018-01-04 Team meeting"
    meeting_date: str | None = None  # ISO date, the start of its age
    created_at: str | None = None  # ISO timestamp; age starts here when the meeting has no date
    state: str = "open"  # "open" | "closed"
    closed_at: str | None = None
    state_reason: str | None = None  # "completed" | "not_planned"
    refs: tuple[tuple[str, str], ...] = ()  # ("owner/repo#N", "open"|"closed"|"merged")


def age_days(item: DashItem, now: datetime) -> int | None:
    """Days since the meeting (or since the issue was opened when the meeting has no date)."""
    start = parse_when(item.meeting_date) or parse_when(item.created_at)
    if start is None:
        return None
    return max(0, (now - start).days)


def _refs_text(refs: Iterable[tuple[str, str]]) -> str:
    parts = [f"{ref} {state}" for ref, state in refs]
    return "; ".join(parts) if parts else "—"


def _cell(text: str) -> str:
    """Text of a table cell (titles, meetings, references): one line, neutralised, `|` escaped."""
    return one_line(text).replace("|", "\\|")


def _row(item: DashItem, now: datetime) -> str:
    age = age_days(item, now)
    age_text = "?" if age is None else human_age(age)
    return (
        f"| [#{item.number}]({item.html_url}) {_cell(item.title)} | {_cell(item.meeting or '—')} "
        f"| {age_text} | {_cell(_refs_text(item.refs))} |"
    )


_HEADER = ("| item | meeting | age | references |", "|---|---|---|---|")


def _sort_key(item: DashItem) -> tuple[str, int]:
    return (item.meeting_date or (item.created_at or "")[:10], item.number)


def render(items: Iterable[DashItem], now: datetime, *, handle: str = DEFAULT_HANDLE) -> str:
    """The dashboard's body. Same items and same day -> the same text, byte for byte."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    items = list(items)
    open_items = [i for i in items if i.state == "open"]
    since = now - timedelta(days=RECENT_DAYS)
    recent = [
        i for i in items if i.state == "closed" and (c := parse_when(i.closed_at)) is not None and c >= since
    ]

    groups: dict[str, list[DashItem]] = {}
    names: dict[str, str] = {}
    for item in open_items:
        owners = list(dict.fromkeys(o.removeprefix("@") for o in item.owners)) or [NEEDS_OWNER]
        for owner in owners:
            key = owner.lower()
            names.setdefault(key, owner)
            groups.setdefault(key, []).append(item)
    order = sorted((k for k in groups if k != NEEDS_OWNER), key=lambda k: (names[k].lower(), names[k]))
    if NEEDS_OWNER in groups:
        order.append(NEEDS_OWNER)

    counts = chart.follow_through((i.meeting_date, i.state, i.state_reason) for i in items)
    picture = [chart.xychart(counts), chart.caption(counts), ""] if counts else []
    lines = [
        MARKER,
        *picture,
        f"Every open action item, by owner, with its meeting, its age and the state of what it references. "
        f"Kept current by @{handle}; edits here are overwritten.",
        "",
        f"**{len(open_items)}** open, **{len(recent)}** closed in the last {RECENT_DAYS} days.",
    ]
    for key in order:
        members = sorted(groups[key], key=_sort_key)
        title = "Needs an owner" if key == NEEDS_OWNER else one_line(names[key])
        lines += ["", f"### {title} ({len(members)})", "", *_HEADER]
        lines += [_row(i, now) for i in members]
    if not open_items:
        lines += ["", "No open action items."]
    lines += ["", f"### Closed in the last {RECENT_DAYS} days ({len(recent)})", ""]
    if recent:
        lines += ["| item | meeting | closed | how |", "|---|---|---|---|"]
        for i in sorted(recent, key=lambda i: (i.closed_at or "", i.number), reverse=True):
            how = "not planned" if i.state_reason == "not_planned" else "completed"
            lines.append(
                f"| [#{i.number}]({i.html_url}) {_cell(i.title)} | {_cell(i.meeting or '—')} "
                f"| {(i.closed_at or '')[:10]} | {how} |"
            )
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def is_dashboard(body: str | None) -> bool:
    return MARKER in (body or "")


def _normal(body: str | None) -> str:
    return "\n".join(line.rstrip() for line in (body or "").replace("\r\n", "\n").strip().split("\n"))


def needs_rewrite(current_body: str | None, new_body: str) -> bool:
    """Whether the issue's body differs from the rendering in anything but line endings."""
    return _normal(current_body) != _normal(new_body)


@dataclass(frozen=True)
class Upkeep:
    """What to do with the dashboard issue: one of create / reopen / update / nothing."""

    action: str  # "create" | "reopen" | "update" | "none"
    number: int | None = None
    body: str | None = None


def upkeep(
    existing: Iterable[Mapping[str, Any]],
    body: str,
    *,
    enabled: bool = True,
    requested: bool = False,
) -> Upkeep:
    """Decide the dashboard's fate from the issues that carry its marker.

    A dashboard a human closed stays closed until `@actionbot dashboard`
    (`requested`) asks for it again; `dashboard: false` turns it off. Should
    two ever exist, the oldest (lowest number) is the dashboard.
    """
    if not enabled:
        return Upkeep("none")
    found = sorted((i for i in existing if is_dashboard(i.get("body"))), key=lambda i: int(i["number"]))
    if not found:
        return Upkeep("create", None, body)
    issue = found[0]
    number = int(issue["number"])
    if issue.get("state") == "closed":
        return Upkeep("reopen", number, body) if requested else Upkeep("none", number)
    if needs_rewrite(issue.get("body"), body):
        return Upkeep("update", number, body)
    return Upkeep("none", number)
