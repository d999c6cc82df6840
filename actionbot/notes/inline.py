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
from actionbot.notes.owners import find_owners, valid_name
from actionbot.notes.refs import find_refs

_CHECKBOX = re.compile(r"^\s*\[([ xX])\]\s*")
_INLINE = re.compile(
    r"^(?:(?P<who>[^:]{1,40}):\s+)?"
    r"(?P<marker>(?:todo|action\s+items?|action|next\s+step)\s*:|action\s*\([^()]{0,20}\)\s*:?)"
    r"\s*(?P<rest>\S.*)$",
    re.IGNORECASE,
)
_INLINE_HINT = re.compile(r"todo|action|next step", re.IGNORECASE)
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
            yield start, nd.lines()[0]
        elif ev.kind == "para" and ev.inline is not None:
            if ev.node is not None and id(ev.node) in claimed:
                continue
            if any(a < ev.line < b for a, b in ranges) or not _INLINE_HINT.search(ev.inline.content):
                continue
            for off, segs in enumerate(segment_lines(ev.inline, env)):
                yield ev.line + off, segs


def _owners(who: str | None, rest: str, known: frozenset[str]) -> tuple[list[str], tuple[str, ...]] | None:
    """Owners of a marked line: the prefix before the marker, then those in the task; None: no marker."""
    names = [w.strip() for w in _WHO_SPLIT.split(who)] if who else []
    if who and not all(valid_name(w, known) for w in names if w):
        return None  # "Decision: TODO ...": the text before the colon is no owner
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
) -> list[Item]:
    """Marked lines outside every section (`claimed`: ids of section nodes, `ranges`: heading extents)."""
    out: list[Item] = []
    for line, segs in _lines(events, claimed, ranges, env):
        first = plain_text(segs).strip()
        cb = _CHECKBOX.match(first)
        plain = first[cb.end():] if cb else first
        m = _INLINE.match(plain)
        if not m:
            continue
        found = _owners(m.group("who"), m.group("rest"), known)
        if found is None:
            continue
        owners, tentative = found
        done = bool(cb and cb.group(1) in "xX") or bool(_NOW_HERE.search(plain) or _DONE_WORD.search(plain))
        text = plain.strip()
        out.append(
            Item(text=text, line=line, owners=tuple(owners), tentative_owners=tentative, refs=find_refs(segs, repo),
                 parent=None, done=done, opens_issue=not done, source="inline", section=None,
                 meeting=meeting_at(line), body=text, end_line=line)
        )
    return out
