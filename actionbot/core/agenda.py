"""The review list for the next meeting: open action items by owner, then what closed since (pure).

Teams open their meeting by going through the actions of the last one. This
builds that list from the tracking repository's action-item issues alone (their
markers hold the meeting dates, owners and references; no notes are read):
open items grouped by owner login, "needs owner" last, oldest meeting first,
each as a task-list line a note-taker can paste into the notes' review
section, where its `#N` is what matches it to its issue again:

    - [ ] Draft the 3.0 roadmap post (@ana-dev) #12 · 2025-05-12 · 3 weeks · refs: #42 merged

then "Closed since the last meeting": items closed after the newest meeting's
date, and who closed them (no "@": nobody is notified of someone else's
close). `markdown` renders it (owners as `@login` for pasting, or in code
spans for a comment on GitHub, where a mention would notify), `to_json` gives
the same data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from actionbot.core.ages import days_between, human_age
from actionbot.core.refstate import refs_in_body, state_text
from actionbot.core.render import neutralise_mentions, parse_marker
from actionbot.core.safe_text import one_line

NEEDS_OWNER = "needs owner"


@dataclass(frozen=True)
class AgendaItem:
    """One action-item issue as the review list shows it."""

    number: int
    title: str
    url: str
    owners: tuple[str, ...]  # logins: assignees, else the owners the notes gave
    meeting: str | None  # date of the meeting that first listed it
    meetings: tuple[str, ...]  # every meeting that listed it
    age_days: int | None
    refs: tuple[tuple[str, str], ...]  # ("owner/repo#N", "open" | "closed" | "merged" | "state unknown")
    notes_repo: str
    state: str = "open"
    state_reason: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None


@dataclass(frozen=True)
class Agenda:
    repo: str  # the tracking repository
    today: str
    last_meeting: str | None  # the newest meeting date any item names (or --since)
    groups: tuple[tuple[str, tuple[AgendaItem, ...]], ...]  # owner login (or NEEDS_OWNER) -> items
    closed: tuple[AgendaItem, ...]

    @property
    def open_count(self) -> int:
        return len({i.number for _, items in self.groups for i in items})


def _login(user: Any) -> str:
    return (user or {}).get("login") or "" if isinstance(user, Mapping) else ""


def agenda_item(issue: Mapping[str, Any], now: datetime, closed_by: Mapping[int, str] | None = None) -> AgendaItem | None:
    """An issue of the listing -> AgendaItem; None for issues without a marker (not action items)."""
    if "pull_request" in issue:
        return None
    marker = parse_marker(issue.get("body"))
    if marker is None:
        return None
    number = int(issue["number"])
    assignees = tuple(a for a in (_login(x) for x in issue.get("assignees") or ()) if a)
    meetings = tuple(sorted({d for d in (marker.meeting, *marker.meetings) if d}))
    first = marker.meeting or (meetings[0] if meetings else None)
    return AgendaItem(
        number=number,
        title=str(issue.get("title") or ""),
        url=str(issue.get("html_url") or ""),
        owners=assignees or marker.owners,
        meeting=first,
        meetings=meetings,
        age_days=days_between(first or issue.get("created_at"), now),
        refs=tuple((r, state_text(s)) for r, s in refs_in_body(issue.get("body")).items()),
        notes_repo=marker.repo,
        state=str(issue.get("state") or "open"),
        state_reason=issue.get("state_reason"),
        closed_at=issue.get("closed_at"),
        closed_by=(closed_by or {}).get(number) or _login(issue.get("closed_by")) or None,
    )


def last_meeting(items: Iterable[AgendaItem]) -> str | None:
    """The newest meeting date any item was listed at."""
    return max((d for i in items for d in i.meetings), default=None)


def build(
    repo: str,
    issues: Iterable[Mapping[str, Any]],
    now: datetime,
    *,
    since: str | None = None,
    closed_by: Mapping[int, str] | None = None,
) -> Agenda:
    """The review list from a listing of action-item issues (open ones, and closed ones since).

    The issues listing does not say who closed an issue (a single issue does):
    the shell reads the few in `Agenda.closed` and builds again with `closed_by`.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    items = [i for i in (agenda_item(x, now, closed_by) for x in issues) if i is not None]
    newest = since or last_meeting(items)
    groups: dict[str, list[AgendaItem]] = {}
    names: dict[str, str] = {}
    for item in (i for i in items if i.state == "open"):
        for owner in dict.fromkeys(o.removeprefix("@") for o in item.owners) or [NEEDS_OWNER]:
            names.setdefault(owner.casefold(), owner)
            groups.setdefault(owner.casefold(), []).append(item)
    order = sorted((k for k in groups if k != NEEDS_OWNER), key=lambda k: (k, names[k]))
    if NEEDS_OWNER in groups:
        order.append(NEEDS_OWNER)
    closed = [
        i for i in items
        if i.state == "closed" and i.closed_at and (newest is None or i.closed_at[:10] > newest)
    ]  # fmt: skip
    return Agenda(
        repo=repo,
        today=now.date().isoformat(),
        last_meeting=newest,
        groups=tuple((names[k], tuple(sorted(groups[k], key=_by_meeting))) for k in order),
        closed=tuple(sorted(closed, key=lambda i: (i.closed_at or "", i.number))),
    )


def _by_meeting(item: AgendaItem) -> tuple[str, int]:
    return (item.meeting or "9999", item.number)


# ---------------------------------------------------------------- rendering


def _short(ref: str, item: AgendaItem, repo: str) -> str:
    """`#N` for the tracking repository when the notes live there too (a bare #N in the notes means it)."""
    ref_repo, _, number = ref.rpartition("#")
    if ref_repo.casefold() == repo.casefold() and item.notes_repo.casefold() == repo.casefold():
        return f"#{number}"
    return ref


def _self_ref(item: AgendaItem, repo: str) -> str:
    return f"#{item.number}" if item.notes_repo.casefold() in ("", repo.casefold()) else f"{repo}#{item.number}"


def _who(owners: Iterable[str], *, mentions: bool) -> str:
    shown = [f"@{o}" if mentions else f"`@{o}`" for o in owners]
    return f" ({', '.join(shown)})" if shown else ""


def _title(text: str) -> str:
    """An issue's title in a comment: anyone with triage can retitle it, and a title from the
    notes keeps their text, so handles go in code spans and nothing else can mention, show an
    image or HTML (`@@user` included)."""
    return one_line(neutralise_mentions(text)) or "(untitled)"


def open_line(item: AgendaItem, repo: str, *, mentions: bool = True) -> str:
    """`- [ ] Title (@owner) #12 · 2025-05-12 · 3 weeks · refs: #42 merged`"""
    parts = [f"- [ ] {_title(item.title)}{_who(item.owners, mentions=mentions)} {_self_ref(item, repo)}"]
    if item.meeting:
        parts.append(item.meeting)
    if item.age_days is not None:
        parts.append(human_age(item.age_days))
    if item.refs:
        parts.append("refs: " + ", ".join(f"{_short(r, item, repo)} {s}" for r, s in item.refs))
    return " · ".join(parts)


def closed_line(item: AgendaItem, repo: str) -> str:
    """`- [x] Title #12 · done 2025-06-02 by ana-dev` (or `dropped`, struck through)."""
    dropped = item.state_reason == "not_planned"
    title = f"~~{_title(item.title)}~~" if dropped else _title(item.title)
    box = "-" if dropped else "- [x]"
    how = "dropped" if dropped else "done"
    by = f" by {item.closed_by}" if item.closed_by else ""
    return f"{box} {title} {_self_ref(item, repo)} · {how} {(item.closed_at or '')[:10]}{by}"


def markdown(agenda: Agenda, *, mentions: bool = True, heading: str = "##") -> str:
    """The list as markdown. `mentions=False` puts owners in code spans (a comment on GitHub)."""
    sub = heading + "#"
    lines = [f"{heading} Open action items ({agenda.open_count})"]
    for owner, items in agenda.groups:
        title = "Needs an owner" if owner == NEEDS_OWNER else owner
        lines += ["", f"{sub} {title} ({len(items)})", ""]
        lines += [open_line(i, agenda.repo, mentions=mentions) for i in items]
    if not agenda.groups:
        lines += ["", "No open action items."]
    since = f" ({agenda.last_meeting})" if agenda.last_meeting else ""
    lines += ["", f"{heading} Closed since the last meeting{since} ({len(agenda.closed)})", ""]
    lines += [closed_line(i, agenda.repo) for i in agenda.closed] or ["None."]
    return "\n".join(lines) + "\n"


def clip(text: str, limit: int) -> str:
    """`text` cut at a line boundary to at most `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit - 200:
            break
        kept.append(line)
        size += len(line) + 1
    left = sum(1 for line in lines[len(kept) :] if line.startswith("- "))
    return "\n".join(kept) + f"\n\n… and {left} more lines: `actionbot agenda OWNER/NAME` prints the whole list.\n"


def _item_json(item: AgendaItem, repo: str) -> dict[str, Any]:
    return {
        "number": item.number,
        "title": item.title,
        "url": item.url,
        "owners": list(item.owners),
        "meeting": item.meeting,
        "meetings": list(item.meetings),
        "age_days": item.age_days,
        "age": None if item.age_days is None else human_age(item.age_days),
        "refs": [{"ref": r, "state": s} for r, s in item.refs],
        "state": item.state,
        "state_reason": item.state_reason,
        "closed_at": item.closed_at,
        "closed_by": item.closed_by,
        "line": open_line(item, repo) if item.state == "open" else closed_line(item, repo),
    }


def to_json(agenda: Agenda) -> dict[str, Any]:
    """The same list as data (`actionbot agenda --format json`)."""
    return {
        "repo": agenda.repo,
        "today": agenda.today,
        "last_meeting": agenda.last_meeting,
        "open": [
            {"owner": None if owner == NEEDS_OWNER else owner, "items": [_item_json(i, agenda.repo) for i in items]}
            for owner, items in agenda.groups
        ],
        "closed_since_last_meeting": [_item_json(i, agenda.repo) for i in agenda.closed],
    }
