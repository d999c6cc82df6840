"""Meeting issues: the review list kept as one comment on the issue a team opens per meeting (pure).

Teams that open an issue to collect a meeting's agenda get the review list
there: one comment, posted when the issue is opened (or gets the meeting label
later), then edited in place whenever the list changes, never posted twice.
It stops changing once the issue is closed or the meeting's notes have landed
(a meeting dated on or after the day the issue was opened): from then on it
is the record of what the meeting was handed. The comment says how to act on
it. Which issues are meeting issues is configured (`meeting_issues:` labels
or a title glob); action items and the dashboard never are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from actionbot.core import agenda
from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.core.config import Config
from actionbot.core.dashboard import is_dashboard, needs_rewrite
from actionbot.core.render import parse_marker
from actionbot.notes.meetings import find_date

MARKER = "<!-- actionbot:review-list -->"
LIMIT = 60_000  # GitHub takes at most 65536 characters in a comment


def is_meeting_issue(issue: Mapping[str, Any], config: Config) -> bool:
    """Whether `issue` (a GitHub issue object) is a meeting issue under `config`."""
    rule = config.meeting_issues
    if rule is None or "pull_request" in issue:
        return False
    body = issue.get("body")
    if parse_marker(body) is not None or is_dashboard(body):
        return False  # an action item titled "Plan the meeting" is not a meeting issue
    labels = tuple(lb["name"] if isinstance(lb, Mapping) else str(lb) for lb in issue.get("labels") or ())
    return rule.matches(str(issue.get("title") or ""), labels)


def frozen(issue: Mapping[str, Any], listing: agenda.Agenda) -> bool:
    """The list is the record now: the issue is closed, or its meeting's notes have landed.

    The meeting's date is the one in the issue's title ("Team meeting 2025-06-16")
    when it has one; otherwise any meeting after the day the issue was opened.
    """
    if issue.get("state") == "closed":
        return True
    if not listing.last_meeting:
        return False
    titled = find_date(str(issue.get("title") or ""))
    if titled:
        return listing.last_meeting >= titled
    opened = str(issue.get("created_at") or "")[:10]
    return bool(opened) and listing.last_meeting > opened


def comment_body(listing: agenda.Agenda, handle: str = DEFAULT_HANDLE) -> str:
    """The comment: how to act on the list, then the list (owners in code spans: nobody is notified)."""
    handle = handle.removeprefix("@")
    intro = (
        f"{MARKER}\n"
        "**Actions to review at this meeting.** In the notes, list them under a review heading "
        "(`## Review of previous action items`) and mark each: `- [x]` when done, `dropped` when it is "
        "not going to happen, no mark when it carries over. When the notes land, the issues follow. "
        f"Or, on an item itself, comment `@{handle} done` or `@{handle} drop`.\n\n"
        f"_Kept current by @{handle} until this issue closes or this meeting's notes land._\n\n"
    )
    return intro + agenda.clip(agenda.markdown(listing, mentions=False, heading="###"), LIMIT - len(intro))


PRIVATE_BODY = (
    f"{MARKER}\n"
    "**Actions to review at this meeting** are tracked in a private repository, so they are not "
    "listed on this public issue: see the dashboard there, or run `actionbot agenda` with access to it."
)


@dataclass(frozen=True)
class Upkeep:
    action: str  # "create" | "update" | "none"
    comment_id: int | None = None
    body: str = ""


def upkeep(comments: Iterable[Mapping[str, Any]], body: str, *, is_frozen: bool) -> Upkeep:
    """Post the comment once, edit it when the list changed, leave it when frozen or the same."""
    ours = sorted(
        (c for c in comments if (c.get("body") or "").startswith(MARKER)),
        key=lambda c: (str(c.get("created_at") or ""), int(c["id"])),
    )
    if not ours:
        return Upkeep("none") if is_frozen else Upkeep("create", None, body)
    first = ours[0]
    if is_frozen or not needs_rewrite(first.get("body"), body):
        return Upkeep("none", int(first["id"]))
    return Upkeep("update", int(first["id"]), body)


