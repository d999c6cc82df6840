"""Review sections: the part of a meeting's notes that goes through the actions of earlier meetings.

Teams open a meeting with `### Previous action items`, `#### Review of previous
action items` or `TODO items from last meeting`, list the open items again and
mark what happened to each. The action-item reader skips these sections (their
items were opened from earlier notes); this module reads them, so that the
meeting's decisions reach the issues: each line with its mark (done, dropped,
or none: still open), its text and the references it names (`#12`, a URL: a
pasted line of the review list carries its issue's number).

A mark is only read where people put one: a checked box, a whole line struck
through, a status word in capitals (`DONE`, `COMPLETED`, `DROPPED`,
`WONTFIX`), in bold, in brackets or parentheses (`**done**`, `[done]`,
`(won't do)`), or set off at the start or end of the line (`Done: ...`,
`... - not planned`). A word inside the task ("Investigate the dropped
connections") is not a mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from actionbot.notes.blocks import MD, Event, Node, plain_text, segment_lines, structure
from actionbot.notes.labels import is_review
from actionbot.notes.model import Meeting
from actionbot.notes.refs import find_refs

DONE, DROPPED, UNMARKED = "done", "dropped", ""

# "TODO items from last meeting", "Action items from the previous call"
_FROM_LAST = re.compile(
    r"\b(?:todo|to-do|action|actions|tasks?|follow[\s-]?ups?)\b.{0,20}?\b(?:from|of|since)\s+(?:the\s+)?"
    r"(?:last|previous|prior|earlier)\s+(?:meeting|call|week|sync|session|time)",
    re.IGNORECASE,
)
# "Last week's action items", "Previous meeting's TODOs"
_POSSESSIVE = re.compile(
    r"\b(?:last|previous|prior)\s+(?:week|meeting|call|sync|time)(?:'s|’s|s')?\s+(?:action|todo|to-do|task|follow)",
    re.IGNORECASE,
)
_HINT = re.compile(r"previous|prior|past|last|earlier|old|review", re.IGNORECASE)
_CHECKBOX = re.compile(r"^\s*\[([ xX])\]\s*")
_DONE_WORDS = r"done|completed|complete|finished"
_DROP_WORDS = r"dropped|won'?t\s+do|won'?t\s+fix|wontfix|not\s+planned|cancell?ed|abandoned"
_CAPS = re.compile(r"\b(?:DONE|COMPLETED|FINISHED)\b|\b(?P<drop>DROPPED|WONTFIX|WON'T DO|WON'T FIX|NOT PLANNED|CANCELL?ED)\b")


def _marks(words: str) -> re.Pattern[str]:
    w = rf"(?:{words})"
    return re.compile(
        rf"\*\*\s*{w}\s*[.!:]?\s*\*\*|__\s*{w}\s*__|\[\s*{w}\s*\]|\(\s*{w}\s*[.!]?\s*\)"
        rf"|^\W{{0,3}}{w}\s*[:\-–—!]|[\-–—:,;→>]\s*{w}\s*[.!]?\W{{0,3}}$",
        re.IGNORECASE,
    )


_DONE_MARK = _marks(_DONE_WORDS)
_DROP_MARK = _marks(_DROP_WORDS)
_STRUCK = re.compile(r"^\s*(?:\[[ xX]\]\s*)?~~[^~].*~~\s*(?:\W.{0,30})?$")
_EMOJI_DONE = re.compile("[\u2705\u2714\u2611]")


@dataclass(frozen=True)
class ReviewItem:
    """One line of a review section."""

    line: int  # 1-based line in the file
    text: str  # plain text, the checkbox removed
    mark: str  # DONE | DROPPED | UNMARKED
    refs: tuple[str, ...]  # "owner/repo#N", as the notes wrote them (bare #N: the notes' repository)
    meeting: int | None  # index into the notes' meetings: the meeting that reviewed it
    heading: str  # the review section's label
    task: str = ""  # the text without its mark, checkbox or the review list's " · meeting · age" tail


def is_review_label(plain: str, phrases: Iterable[str] = ()) -> bool:
    """Whether a heading (or a line standing alone) opens a review of earlier actions."""
    text = " ".join(plain.split())
    if not text or len(text) > 120:
        return False
    folded = text.casefold()
    if any(p.strip() and " ".join(p.split()).casefold() in folded for p in phrases):
        return True
    return bool(_HINT.search(text) and (is_review(text) or _FROM_LAST.search(text) or _POSSESSIVE.search(text)))


def mark_of(plain: str, raw: str) -> str:
    """DONE, DROPPED or UNMARKED for one line (`plain`: its text; `raw`: its markdown source)."""
    box = _CHECKBOX.match(plain)
    text = plain[box.end() :] if box else plain
    caps = _CAPS.search(text)
    if _DROP_MARK.search(text) or _DROP_MARK.search(raw) or (caps and caps.group("drop")):
        return DROPPED
    if box and box.group(1) in "xX":
        return DONE
    if caps or _DONE_MARK.search(text) or _DONE_MARK.search(raw) or _STRUCK.match(raw) or _EMOJI_DONE.search(text):
        return DONE
    return UNMARKED


def task_text(text: str) -> str:
    """The task a review line names: marks, strike-through and a pasted line's tail removed."""
    text = text.split(" · ", 1)[0]
    text = _CHECKBOX.sub("", text, count=1)
    for pattern in (_DONE_MARK, _DROP_MARK, _CAPS, _EMOJI_DONE):
        text = pattern.sub(" ", text)
    return " ".join(text.replace("~~", " ").split())


def review_items(
    text: str, meetings: Sequence[Meeting] = (), *, repo: str | None = None, phrases: Iterable[str] = ()
) -> tuple[ReviewItem, ...]:
    """Every line of every review section of a notes file, in order. Never raises on a str."""
    phrase_t = tuple(p for p in phrases if isinstance(p, str) and p.strip())
    if not _HINT.search(text) and not any(p.casefold() in text.casefold() for p in phrase_t):
        return ()  # most files have no review section: no second tokenisation
    env: dict[str, Any] = {}
    events, nodes = structure(MD.parse(text, env), env)
    found: list[ReviewItem] = []
    for heading, members in _sections(events, nodes, phrase_t, env):
        for nd in members:
            item = _item(nd, heading, repo, meetings)
            if item is not None:
                found.append(item)
    return tuple(sorted({i.line: i for i in found}.values(), key=lambda i: i.line))


def _sections(
    events: list[Event], nodes: list[Node], phrases: tuple[str, ...], env: dict[str, Any]
) -> list[tuple[str, list[Node]]]:
    """(label, list items) of each review section: under a heading until the next heading of
    its level or above; after a label standing alone on its line, the list that follows."""
    out: list[tuple[str, list[Node]]] = []
    open_heading: tuple[str, int, int] | None = None  # label, level, start line
    waiting: str | None = None
    for ev in events:
        if ev.kind == "heading" and ev.inline is not None:
            if open_heading is not None and ev.level <= open_heading[1]:
                out.append(_within(open_heading, ev.line, nodes))
                open_heading = None
            plain = plain_text(segment_lines(ev.inline, env)[0]).strip()
            if open_heading is None and is_review_label(plain, phrases):
                open_heading = (plain, ev.level, ev.line)
            waiting = None
        elif ev.kind == "para" and ev.inline is not None and not ev.in_item and open_heading is None:
            lines = segment_lines(ev.inline, env)
            plain = plain_text(lines[0]).strip() if len(lines) == 1 else ""
            waiting = plain.rstrip(":").strip() if plain and is_review_label(plain, phrases) else None
        elif ev.kind == "list" and not ev.in_item and waiting is not None:
            out.append((waiting, [nd for nd in nodes if nd.list_id == ev.list_id and nd.parent is None]))
            waiting = None
        elif ev.kind == "item" and ev.node is not None and not ev.in_item and open_heading is None:
            nd = ev.node
            if nd.children and nd.inline is not None and is_review_label(nd.first().rstrip(":"), phrases):
                out.append((nd.first().rstrip(":").strip(), list(nd.children)))
        elif ev.kind != "list":
            waiting = None
    if open_heading is not None:
        out.append(_within(open_heading, 1 << 60, nodes))
    return [(label, _leaves(members)) for label, members in out]


def _within(heading: tuple[str, int, int], stop: int, nodes: list[Node]) -> tuple[str, list[Node]]:
    label, _, start = heading
    members = [nd for nd in nodes if start < nd.line < stop and (nd.parent is None or not start < nd.parent.line < stop)]
    return label, members


def _leaves(members: list[Node]) -> list[Node]:
    """The items to read: a line with sub-items and no mark or reference of its own
    (an owner's name, "Ana:") groups them; its sub-items are read instead."""
    out: list[Node] = []
    todo = list(reversed(members))
    while todo:
        nd = todo.pop()
        first = nd.first()
        grouping = nd.children and not _CHECKBOX.match(first) and "#" not in first and "://" not in first
        if grouping and len(first) <= 60:
            todo.extend(reversed(nd.children))
        else:
            out.append(nd)
    return out


def _item(nd: Node, heading: str, repo: str | None, meetings: Sequence[Meeting]) -> ReviewItem | None:
    if nd.inline is None:
        return None
    segs = nd.segments()
    whole = " ".join(plain_text(segs).split())
    box = _CHECKBOX.match(whole)
    text = whole[box.end() :] if box else whole
    if not text.strip(" .-–—…"):
        return None
    raw = nd.inline.content.split("\n", 1)[0]
    return ReviewItem(
        line=nd.line,
        text=text,
        mark=mark_of(whole, raw),
        refs=find_refs(segs, repo),
        task=task_text(text),
        meeting=_meeting_at(meetings, nd.line),
        heading=heading,
    )


def _meeting_at(meetings: Sequence[Meeting], line: int) -> int | None:
    found = None
    for k, m in enumerate(meetings):
        if m.line <= line:
            found = k
    return found if found is not None else (0 if meetings else None)
