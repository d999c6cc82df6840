"""Reminders that respect people: one nudge to the owners of an item that went quiet (pure).

Off unless `reminders: {after_days: N}` is set. An open action item whose issue
has had no activity for N days gets one comment mentioning its assignees,
asking for `@actionbot done`, `drop`, or an update. Never on an item without an
assignee (`needs owner`: there is nobody to ask), never twice within N days for
one item, never more than `per_day` (20) a day in one repository. The day of
the last reminder is kept in the item's marker, so the limits hold across
runs, restarts and replicas without any memory of the service: the marker is
what counts, and GitHub keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from actionbot.core.ages import days_between, human_age
from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.core.config import Config
from actionbot.core.operations import Comment, Operation, Plan, UpdateIssue
from actionbot.core.render import Marker, comment_marker, parse_marker, with_marker


def last_reminded(marker: Marker) -> str | None:
    value = marker.extra.get("reminded")
    return value if isinstance(value, str) else None


def reminder_text(marker: Marker, logins: Iterable[str], quiet_days: int, handle: str = DEFAULT_HANDLE) -> str:
    who = ", ".join(f"@{login}" for login in logins)
    handle = handle.removeprefix("@")
    return (
        f"{comment_marker('reminder', marker.key)}\n"
        f"{who}: this action item has been quiet for {human_age(quiet_days)}. "
        f"If it is done, comment `@{handle} done`; if it is no longer planned, `@{handle} drop`; "
        "otherwise a line on where it stands helps the next meeting."
    )


def _assignees(issue: Mapping[str, Any]) -> list[str]:
    return [a["login"] for a in issue.get("assignees") or () if isinstance(a, Mapping) and a.get("login")]


def _labels(issue: Mapping[str, Any]) -> set[str]:
    return {(lb["name"] if isinstance(lb, Mapping) else str(lb)).casefold() for lb in issue.get("labels") or ()}


def plan_reminders(issues: Iterable[Mapping[str, Any]], config: Config, now: datetime, handle: str = DEFAULT_HANDLE) -> Plan:
    """The reminders due now in one tracking repository, from a listing of its action items (any state)."""
    rule = config.reminders
    if rule is None:
        return Plan()
    today = now.date().isoformat()
    listed = [(i, m) for i in issues if "pull_request" not in i and (m := parse_marker(i.get("body"))) is not None]
    sent_today = sum(1 for _, m in listed if last_reminded(m) == today)
    quiet_since = now - timedelta(days=rule.after_days)
    due: list[tuple[str, Mapping[str, Any], Marker, list[str]]] = []
    for issue, marker in listed:
        logins = _assignees(issue)
        if issue.get("state") != "open" or not logins or config.labels.needs_owner.casefold() in _labels(issue):
            continue
        updated = str(issue.get("updated_at") or "")
        quiet = days_between(updated, now)
        if quiet is None or quiet < rule.after_days:
            continue
        previous = last_reminded(marker)
        if previous and previous > (quiet_since.date()).isoformat():
            continue  # reminded within the period
        due.append((updated, issue, marker, logins))
    ops: list[Operation] = []
    for updated, issue, marker, logins in sorted(due, key=lambda d: (d[0], int(d[1]["number"]))):
        if sent_today >= rule.per_day:
            break
        number = int(issue["number"])
        quiet = days_between(updated, now) or rule.after_days
        stamped = replace(marker, extra={**marker.extra, "reminded": today})
        ops.append(Comment(number, reminder_text(marker, logins, quiet, handle), marker.key, "reminder"))
        ops.append(UpdateIssue(number, body=with_marker(issue.get("body"), stamped), key=marker.key))
        sent_today += 1
    return Plan(tuple(ops))
