"""What a meeting's review section decides, as planned writes (pure).

A review line names an earlier item: by a reference to its issue (`#12`, its
URL; a pasted line of the review list carries one), else by its text,
normalised as the item identity is. What the meeting marked decides:

- done: the issue is closed as completed, with one comment linking the line;
- dropped: closed as not planned, the same way;
- no mark: the item is still open and was brought up again, so it is carried
  over exactly as when it is written again as a new action (the meeting joins
  the issue's meetings, with its label and `carried over`).

Nothing is ever opened for a review line, and a line that names no action
item is reported (`unmatched`) rather than guessed at. A review acts only on an
issue whose every listing (and every earlier review) is older than the
review's meeting: re-reading the same notes, or old notes in a full sync,
finds the meeting already recorded in the marker and plans nothing, and a
human who reopens an item is not overruled by a meeting of the past.
`on_review: comment` asks on the issue instead of closing it; `ignore` turns
this off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.core.config import Config
from actionbot.core.desired import NotesContext
from actionbot.core.existing import ExistingIssue
from actionbot.core.matching import CARRY_OVER_THRESHOLD, normalise_text, similar
from actionbot.core.render import Marker, comment_marker, permalink, with_marker
from actionbot.notes.model import Notes, Problem
from actionbot.notes.review import DONE, DROPPED, review_items

UNMATCHED = "review line matched no open item"
MAX_FUZZY = 500  # review lines compared by text per run (exact texts and references are free)


@dataclass(frozen=True)
class ReviewLine:
    """One review line, with where it was written and the meeting that reviewed it."""

    repo: str  # the notes repository
    path: str
    line: int
    date: str | None  # the reviewing meeting's date
    text: str
    task: str
    mark: str  # notes.review DONE | DROPPED | UNMARKED
    refs: tuple[str, ...]
    url: str  # permalink to the line


def review_lines(text: str, notes: Notes, config: Config, context: NotesContext) -> tuple[ReviewLine, ...]:
    """The review lines of one notes file read at `context`."""
    out: list[ReviewLine] = []
    for item in review_items(text, notes.meetings, repo=context.repo, phrases=config.review_sections):
        date = notes.meetings[item.meeting].date if item.meeting is not None else None
        if config.before_since(date):
            continue
        out.append(
            ReviewLine(
                repo=context.repo, path=context.path, line=item.line, date=date, text=item.text, task=item.task,
                mark=item.mark, refs=item.refs, url=permalink(context.html_url, context.sha, context.path, item.line),
            )
        )
    return tuple(out)


def match(lines: Sequence[ReviewLine], issues: Sequence[ExistingIssue], tracking_repo: str) -> list[ExistingIssue | None]:
    """For each line, the action-item issue it names (open or closed), or None."""
    ours = [i for i in issues if i.marker is not None]
    by_number = {i.number: i for i in ours}
    by_text: dict[tuple[str, str], ExistingIssue] = {}
    for i in sorted(ours, key=lambda i: (i.state != "open", i.number)):  # open ones first
        assert i.marker is not None
        by_text.setdefault((i.marker.repo.casefold(), normalise_text(i.marker.text or "")), i)
    out: list[ExistingIssue | None] = []
    fuzzy_budget = MAX_FUZZY
    for line in lines:
        found = _by_ref(line, by_number, tracking_repo)
        norm = normalise_text(line.task)
        if found is None and norm:
            found = by_text.get((line.repo.casefold(), norm))
            if found is None and fuzzy_budget > 0:
                fuzzy_budget -= 1
                found = _closest(line, norm, ours)
        out.append(found)
    return out


def _by_ref(line: ReviewLine, by_number: Mapping[int, ExistingIssue], tracking_repo: str) -> ExistingIssue | None:
    for ref in line.refs:
        repo, _, number = ref.rpartition("#")
        if repo.casefold() == tracking_repo.casefold() and number.isdigit() and int(number) in by_number:
            return by_number[int(number)]
    return None


def _closest(line: ReviewLine, norm: str, issues: Iterable[ExistingIssue]) -> ExistingIssue | None:
    """The issue of the same notes repository whose text is nearest, open ones first (a line
    that closed its issue still names it on a re-run); a tie is no match, never a guess."""
    best: list[tuple[bool, float, ExistingIssue]] = []
    for issue in issues:
        m = issue.marker
        if m is None or m.repo.casefold() != line.repo.casefold():
            continue
        score = similar(norm, normalise_text(m.text or m.title), CARRY_OVER_THRESHOLD)
        if score:
            best.append((issue.state == "open", score, issue))
    best.sort(key=lambda p: (not p[0], -p[1]))
    if not best or (len(best) > 1 and best[1][:2] == best[0][:2]):
        return None
    return best[0][2]


def unmatched(lines: Sequence[ReviewLine], issues: Sequence[ExistingIssue], tracking_repo: str) -> list[Problem]:
    """The check run's "review line matched no open item" entries, with file and line."""
    return [
        Problem(line.path, line.line, f"{UNMATCHED}: {_clip(line.task or line.text)}")
        for line, issue in zip(lines, match(lines, issues, tracking_repo), strict=True)
        if issue is None
    ]


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split()).replace("@", "@\u200b")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Decision:
    """What one review line does to its issue."""

    number: int
    line: ReviewLine
    action: str  # "close" | "ask" | "carry"
    marker: Marker  # the issue's marker with the review recorded


def reviewed(marker: Marker) -> tuple[str, ...]:
    """Meetings whose review already acted on the item (kept in the marker across versions)."""
    value = marker.extra.get("reviewed")
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def decide(lines: Sequence[ReviewLine], issues: Sequence[ExistingIssue], config: Config, tracking_repo: str) -> list[Decision]:
    """One decision per open issue a newer meeting reviewed (the newest review of it wins)."""
    if config.on_review == "ignore":
        return []
    latest: dict[int, tuple[ReviewLine, ExistingIssue]] = {}
    for line, issue in zip(lines, match(lines, issues, tracking_repo), strict=True):
        if issue is None or issue.state != "open" or issue.marker is None or not line.date:
            continue
        m = issue.marker
        seen = [d for d in (m.meeting, *m.meetings, *reviewed(m)) if d]
        if seen and line.date <= max(seen):
            continue  # this meeting (or a later one) already listed or reviewed it
        held = latest.get(issue.number)
        if held is None or (line.date, line.line) > (held[0].date or "", held[0].line):
            latest[issue.number] = (line, issue)
    out: list[Decision] = []
    for number, (line, issue) in sorted(latest.items()):
        assert issue.marker is not None and line.date is not None
        m = issue.marker
        if line.mark in (DONE, DROPPED):
            action = "close" if config.on_review == "close" else "ask"
            new = replace(m, extra={**m.extra, "reviewed": sorted({*reviewed(m), line.date})})
        else:
            action = "carry"
            new = replace(m, meetings=tuple(sorted({*(d for d in (m.meeting, *m.meetings) if d), line.date})))
        out.append(Decision(number, line, action, new))
    return out


def _where(line: ReviewLine) -> str:
    return f"[the notes of {line.date}, line {line.line}]({line.url})"


def closing_comment(d: Decision) -> str:
    line = d.line
    if line.mark == DONE:
        text = f"Marked done in {_where(line)}. Closing as completed."
    else:
        text = f"Marked dropped in {_where(line)}. Closing as not planned."
    return f"{comment_marker('review', d.marker.key, line.date or '')}\n{text}"


def asking_comment(d: Decision, handle: str = DEFAULT_HANDLE) -> str:
    line = d.line
    word = "done" if line.mark == DONE else "dropped"
    command = "done" if line.mark == DONE else "drop"
    return (
        f"{comment_marker('review', d.marker.key, line.date or '')}\n"
        f"Marked {word} in {_where(line)}. If that is right, an owner can close this issue "
        f"with `@{handle} {command}`."
    )


def carried_comment(d: Decision) -> str:
    line = d.line
    return (
        f"{comment_marker('carried-over', d.marker.key, line.date or '')}\n"
        f"Reviewed at the meeting of {line.date} and still open: [notes]({line.url}). "
        "Carried over: this issue stays the one place to follow this item."
    )


def with_meetings(body: str, marker: Marker) -> str:
    """`body` with `marker` in it and its "Listed at" line as the renderer writes it."""
    body = with_marker(body, marker)
    listed = f"**Listed at:** {', '.join(marker.meetings)}" if len(marker.meetings) > 1 else None
    lines = body.split("\n")
    at = next((k for k, ln in enumerate(lines) if ln.startswith("**Listed at:**")), None)
    if at is not None:
        if listed:
            lines[at] = listed
        else:
            del lines[at]
    elif listed:
        anchor = next((k for k, ln in enumerate(lines) if ln.startswith("**Meeting:**")), None)
        if anchor is None:
            anchor = next((k for k, ln in enumerate(lines) if ln.startswith("**From the notes:**")), None)
        if anchor is not None:
            lines.insert(anchor + 1, listed)
    return "\n".join(lines)
