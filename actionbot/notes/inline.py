"""Action markers outside every section: `TODO: ...`, `Action: ...`, `Next step: ...`.

A marker counts at the start of a list item or of a source line, followed by
the task on the same line; an owner prefix may come before it
(`**Chris:** TODO: ...`). Anywhere else the words are prose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from actionbot.notes.blocks import Event, Segment, plain_text, segment_lines
from actionbot.notes.model import Item
from actionbot.notes.owners import find_owners, names_only, valid_name
from actionbot.notes.refs import find_refs

_CHECKBOX = re.compile(r"^\s*\[([ xX])\]\s*")
_INLINE = re.compile(
    r"^(?:(?P<who>[^:\[]{1,40}):[ \t]{1,8})?"
    r"(?P<marker>(?:to-?dos?|action[ \t]{1,3}(?:items?|points?)|actions?|next[ \t]{1,3}steps?)[ \t]{0,3}:"
    r"|(?:action|to-?do)[ \t]{0,3}\((?P<mwho>[^()]{0,30})\)[ \t]{0,3}:?"
    r"|\[(?:action(?:[ \t]{1,3}items?)?|to-?do|next[ \t]{1,3}steps?)\][ \t]{0,3}:?)"
    r"[ \t]{0,8}(?P<rest>\S.*)$",
    re.IGNORECASE,
)
# A marker in mid-line: "... release today! [ACTION] kim", "and then TODO: the docs".
_MID_MARKER = re.compile(r"\S[ \t]{1,8}(?:\[(?:action|to-?do)\]|\b(?:TODO|ACTION(?:[ \t]ITEMS?)?)[ \t]{0,2}:)", re.IGNORECASE)
_INLINE_HINT = re.compile(r"to-?do|action|next step", re.IGNORECASE)
# What follows a marker that is no task: "Action items: none", "TODO: done".
_NO_TASK = frozenset(["none", "n/a", "na", "tbd", "tba", "nothing", "done", "completed", "-", "…", "..."])
_WHO_SPLIT = re.compile(r"\s*(?:,|/|&|\band\b)\s*")
_DONE_WORD = re.compile(r"\bCOMPLETED\b|\[(?:DONE|done|Done)\]")
_NOW_HERE = re.compile(r"\bnow here\b", re.IGNORECASE)


def _lines(
    events: list[Event], claimed: set[int], ranges: list[tuple[int, int]], env: dict[str, Any]
) -> Iterator[tuple[int, list[Segment]]]:
    """(line number, segments) of every source line outside sections that may hold a marker."""
    for ev in events:
        if ev.kind == "item" and ev.node is not None:
            nd = ev.node
            if nd.inline is None or id(nd) in claimed or not _INLINE_HINT.search(nd.inline.content):
                continue
            start = nd.inline.map[0] + 1 if nd.inline.map else nd.line
            # every source line of the item's paragraph: a hard-wrapped item can hold a `TODO:` line
            for off, segs in enumerate(nd.lines()):
                yield start + off, segs
        elif ev.kind == "para" and ev.inline is not None:
            if ev.node is not None and id(ev.node) in claimed:
                continue
            if any(a < ev.line < b for a, b in ranges) or not _INLINE_HINT.search(ev.inline.content):
                continue
            for off, segs in enumerate(segment_lines(ev.inline, env)):
                yield ev.line + off, segs


def _marker_owner(mwho: str | None, known: frozenset[str]) -> list[str]:
    """`TODO(ines):` / `Action (Ana, Li)`: the owners written in the marker ("(who?)" names none)."""
    names = [w.strip() for w in _WHO_SPLIT.split(mwho or "")]
    return [w for w in names if w and (valid_name(w, known) or (_TOKEN.fullmatch(w) and w.casefold() not in _NOT_OWNER))]


_TOKEN = re.compile(r"@?[\w.-]{2,39}")
_NOT_OWNER = frozenset(["who", "whom", "tbd", "someone", "anyone", "nobody", "unassigned", "owner", "tba"])


def _owners(who: str | None, rest: str, known: frozenset[str]) -> tuple[list[str], tuple[str, ...]] | None:
    """Owners of a marked line: the prefix before the marker, then those in the task; None: no task."""
    names = [w.strip() for w in _WHO_SPLIT.split(who)] if who else []
    if who and not all(valid_name(w, known) for w in names if w):
        return None  # "Decision: TODO ...": the text before the colon is no owner
    if rest.strip().strip(".!").casefold() in _NO_TASK or names_only(rest, known):
        return None  # "Action items: none", "Action items: @ines will:" (a label)
    own = find_owners(rest, None, known)
    owners = list(own.owners)
    for w in names:
        if w and w.casefold() not in {o.casefold() for o in owners}:
            owners.insert(0, w)
    return owners, own.tentative


def inline_actions(
    events: list[Event],
    claimed: set[int],
    ranges: list[tuple[int, int]],
    repo: str | None,
    known: frozenset[str],
    meeting_at: Callable[[int], int | None],
    env: dict[str, Any],
    unsure: list[tuple[int, str, str]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """Marked lines outside every section (`claimed`: ids of section nodes, `ranges`: heading extents).

    A marker after other text is prose to a careful reader, but may be a task its
    writer meant: it goes to `unsure` as (line, text, reason). Items come one at a
    time, so a caller with a limit stops reading at the one past it; `progress` is
    told each line read.
    """
    for line, segs in _lines(events, claimed, ranges, env):
        if progress is not None:
            progress(line)
        first = plain_text(segs).strip()
        cb = _CHECKBOX.match(first)
        plain = first[cb.end():] if cb else first
        m = _INLINE.match(plain)
        if not m:
            if unsure is not None and _MID_MARKER.search(plain):
                unsure.append((line, plain, "an action marker after other text, not at the start of the line"))
            continue
        found = _owners(m.group("who"), m.group("rest"), known)
        if found is None:
            continue
        owners, tentative = found
        owners += [w for w in _marker_owner(m.group("mwho"), known) if w not in owners]
        done = bool(cb and cb.group(1) in "xX") or bool(_NOW_HERE.search(plain) or _DONE_WORD.search(plain))
        text = plain.strip()
        yield Item(
            text=text, line=line, owners=tuple(owners), tentative_owners=tentative, refs=find_refs(segs, repo),
            parent=None, done=done, opens_issue=not done, source="inline", section=None,
            meeting=meeting_at(line), body=text, end_line=line,
        )
