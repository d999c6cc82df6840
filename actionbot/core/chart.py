"""A picture of follow-through: per meeting, how many of its items are done and how many open (pure).

GitHub renders ```` ```mermaid ```` blocks natively, so the dashboard carries a
`xychart-beta` bar chart instead of a table of numbers: for each of the last
meetings, one bar of every item still counted (done + open) and, drawn over it,
one bar of the done ones. The text depends on the counts only, so the
dashboard's body (and so the issue) changes only when a count changes.

Everything written into the block is generated here: meeting dates (quoted
strings, so that no part of a label can read as one of mermaid's keywords),
whole numbers and fixed words. Nothing from the notes or from issues reaches
it, so no text can break out of the block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MEETINGS = 12  # how many of the latest meetings the chart shows
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class MeetingCount:
    """One meeting's items: `done` closed as completed, `open` still open (dropped ones count in neither)."""

    date: str
    done: int
    open: int


def follow_through(items: Iterable[tuple[str | None, str, str | None]], last: int = MEETINGS) -> list[MeetingCount]:
    """Counts per meeting date, oldest first, for the `last` dated meetings.

    `items` are (meeting date, state, state_reason) of action-item issues; an
    item counts at the meeting that first listed it. Closed as not planned (or
    as a duplicate) is neither done nor open.
    """
    done: dict[str, int] = {}
    still: dict[str, int] = {}
    for date, state, reason in items:
        if not date or not _DATE.match(date):
            continue
        done.setdefault(date, 0)
        still.setdefault(date, 0)
        if state == "open":
            still[date] += 1
        elif reason in (None, "", "completed"):
            done[date] += 1
    dates = sorted(done)[-last:] if last > 0 else []
    return [MeetingCount(d, done[d], still[d]) for d in dates]


def xychart(counts: list[MeetingCount]) -> str:
    """The ```` ```mermaid ```` block (empty string when there is no dated meeting)."""
    if not counts:
        return ""
    top = max(c.done + c.open for c in counts)
    labels = ", ".join(f'"{c.date}"' for c in counts)
    return "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            '    title "Items per meeting: all (tall bar) and done (inner bar)"',
            f"    x-axis [{labels}]",
            f'    y-axis "Action items" 0 --> {max(top, 1)}',
            f"    bar [{', '.join(str(c.done + c.open) for c in counts)}]",
            f"    bar [{', '.join(str(c.done) for c in counts)}]",
            "```",
        ]
    )


def caption(counts: list[MeetingCount]) -> str:
    """One line under the chart, in words, for readers whose client shows the block as code."""
    if not counts:
        return ""
    parts = [f"{c.date}: {c.done} done, {c.open} open" for c in counts[-3:]]
    return f"Last {len(counts)} meetings; latest: " + "; ".join(parts) + "."
