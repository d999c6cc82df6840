"""Meeting notes (markdown) -> meetings, actions sections and action items. Pure.

markdown-it-py tokenises the file once; its block tokens (with `.map` line
ranges) give the structure: headings, paragraphs, lists and list items. The
reading rules of a careful human (which label starts a section, which list
items are tasks, who owns them, what they reference) are applied on the plain
text of those blocks. `labels.py` and `sections.py` find the sections,
`tasks.py` judges their items, `owners.py`, `refs.py`, `inline.py` and
`meetings.py` hold the other rules; this module puts them together.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from actionbot.notes import meetings as mt
from actionbot.notes.blocks import MD, Event, Node, plain_text, segment_lines, structure
from actionbot.notes.collect import collector_paused
from actionbot.notes.inline import inline_actions
from actionbot.notes.labels import DEFAULT_PHRASES
from actionbot.notes.model import InputError, Item, Meeting, Notes, Section, TooLarge, Unsure
from actionbot.notes.owners import find_owners
from actionbot.notes.refs import find_refs
from actionbot.notes.sections import EMPTYISH, PLACEHOLDERS, Sec, find_sections
from actionbot.notes.tasks import Found, judge

MeetingAt = Callable[[int], "int | None"]  # line -> index of its meeting
Progress = Callable[[int], None]  # told the line the reading has reached

__all__ = ["DEFAULT_PHRASES", "MAX_BYTES", "MAX_ITEMS", "MAX_LINES", "notes_to_json", "parse_notes", "read_notes_file"]

MAX_BYTES = 1_000_000
# Reading limits. The largest real notes file we know has 1,700 lines and 46 action
# items; a file past these is not meeting notes, or is years of them that should be
# split, and any file within them reads and plans in about a second. Lines are
# counted before markdown-it tokenises anything (its tokens cost ~30 us a list item
# and ~500 bytes each); action items as they are found (each costs the owner rules,
# then an issue body in the plan).
MAX_LINES = 20_000
MAX_ITEMS = 3_000
_SPLIT_IT = "split the file, one a meeting or a year"


class _ItemLimit(Exception):
    """Raised where the action item past MAX_ITEMS is found (parse_notes names the file)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _quiet(line: int) -> None:
    """No one to tell how far the reading got."""


_CHECKBOX = re.compile(r"^\s*\[([ xX])\]\s*")
_DONE_WORD = re.compile(r"\bCOMPLETED\b|\[(?:DONE|done|Done)\]")
# The item says its follow-up already exists: "(issue opened: #12)", "already filed", "now here".
_FOLLOWED = re.compile(
    r"\b(?:issue|pr|pull[ \t]request|ticket)[ \t]+(?:is[ \t]+|was[ \t]+)?(?:opened|created|filed|exists)\b"
    r"|\b(?:opened|created|filed|tracked)[ \t]+(?:as|in|at)[ \t]+(?:#\d|https?://|[\w.-]{1,100}/[\w.-]{1,100}#\d)"
    r"|\balready[ \t]+(?:opened|created|filed|tracked|exists)\b|\bnow[ \t]+here\b",
    re.IGNORECASE,
)
_DONE_RAW = re.compile(r"\*\*(?:DONE|Done)\*\*")
_ATTENDANCE = re.compile(
    r"(?:attendees|attending|attendance|in[ \t]attendance|present|participants|people[ \t]present)$", re.IGNORECASE
)
# "Dana Reyes (@dreyes) Acme", "omar (@omar-k)", "Lou": a name, maybe its handle in parentheses.
_ROSTER_LINE = re.compile(
    r"[ \t]{0,8}(?:[-*+][ \t]{1,4})?([A-Za-zÀ-ÖØ-Þ][\w'’.-]{1,30}(?:[ \t][A-ZÀ-ÖØ-Þ][\w'’.-]{0,30}){0,3})"
    r"(?:[ \t]{1,4}\([ \t]{0,2}(@[A-Za-z0-9][\w-]{0,38})[ \t]{0,2}\))?"
)
_NOT_NAMES = frozenset(["none", "tbd", "everyone", "all", "notes", "agenda", "absent", "regrets"])
_CHECKIN = re.compile(r"^\s*([A-ZÀ-ÖØ-Þ][\w'’.-]*(?:[ \t]+[A-ZÀ-ÖØ-Þ][\w'’.-]*){0,3})\s*/\s*@([A-Za-z0-9][\w-]*)")


def _struck_out(raw: str) -> bool:
    """Whether the raw item ends struck through: `~~...~~` closing its last line.

    What `~~.+~~\\s*$` finds, with string methods: that regex reads the rest of
    the line from every `~~`, quadratic on `~~a~~a~~a...`.
    """
    end = raw.rstrip()
    if not end.endswith("~~"):
        return False
    last = end[end.rfind("\n") + 1 :]
    return "~~" in last[:-3]


# ---------------------------------------------------------------- reading


def _known_names(people: Mapping[str, str] | None, found: Mapping[str, str]) -> frozenset[str]:
    names: set[str] = set()
    for src in (people or {}, found):
        for k, v in src.items():
            if isinstance(k, str) and k.strip():
                names.add(k.strip().casefold())
                names.add(k.split()[0].casefold())
            if isinstance(v, str) and v.strip():
                names.add(v.strip().lstrip("@").casefold())
    return frozenset(names)


def parse_notes(
    text: str,
    *,
    path: str = "notes.md",
    repo: str | None = None,
    phrases: Iterable[str] = (),
    people: Mapping[str, str] | None = None,
    progress: Progress = _quiet,
) -> Notes:
    """Everything a careful reader finds in one notes file.

    Raises TooLarge (naming the line and the fix) for a file past MAX_LINES or
    MAX_ITEMS, and nothing else on a str. `progress` is told the line each step
    of the reading has reached, so a caller that stops a slow reading can say where.
    """
    _check_lines(text, path)
    try:
        with collector_paused():
            return _parse(text, path, repo, phrases, people, progress)
    except _ItemLimit as exc:
        raise TooLarge(path, f"too many action items (more than {MAX_ITEMS:,}); {_SPLIT_IT}", line=exc.line) from None


def _check_lines(text: str, path: str) -> None:
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if lines > MAX_LINES:
        raise TooLarge(path, f"too many lines ({lines:,}, at most {MAX_LINES:,}); {_SPLIT_IT}", line=MAX_LINES + 1)


def _parse(
    text: str,
    path: str,
    repo: str | None,
    phrases: Iterable[str],
    people: Mapping[str, str] | None,
    progress: Progress,
) -> Notes:
    phrase_t = tuple(p for p in phrases if isinstance(p, str) and p.strip())
    fm_title, fm_lines = mt.front_matter(text)
    env: dict[str, Any] = {}
    events, nodes = structure(MD.parse(text, env), env)
    found_people = _checkins(nodes)
    listed = _attendees(events)
    known = _known_names(people, {**listed, **found_people})
    found_people.update({name: handle for name, handle in listed.items() if handle and name not in found_people})
    found_sections, synthetic = find_sections(events, nodes, phrase_t, fm_lines, known, env, progress)
    sections = [s for s in found_sections if not s.vetoed]
    if synthetic:
        nodes = sorted(nodes + synthetic, key=lambda nd: nd.line)
    meetings_t = _meetings(text, path, events, fm_title, fm_lines, env)

    def meeting_at(line: int) -> int | None:
        return _meeting_at(meetings_t, line)

    found = _section_items(nodes, sections, repo, known, meeting_at, progress)
    items, doubts = judge(found)
    claimed = {id(nd) for s in sections for nd in s.nodes}
    ranges = [(s.start, s.stop) for s in sections if s.heading_level]
    marked: list[tuple[int, str, str]] = []
    for it in inline_actions(events, claimed, ranges, repo, known, meeting_at, env, marked, progress):
        if len(items) == MAX_ITEMS:
            raise _ItemLimit(it.line)
        items.append(it)
    return Notes(
        path=path,
        meetings=tuple(meetings_t),
        sections=tuple(sorted((Section(s.label.text, s.line) for s in sections if s.label is not None), key=lambda s: s.line)),
        items=tuple(items),
        people=dict(found_people),
        unsure=tuple(sorted(
            [Unsure(path, it.line, it.text, why) for it, why in doubts] + [Unsure(path, *u) for u in marked],
            key=lambda u: u.line,
        )),
    )


def _checkins(nodes: list[Node]) -> dict[str, str]:
    """Roster written in the notes: check-in lines `Name / @handle / org`."""
    out: dict[str, str] = {}
    for nd in nodes:
        if nd.inline is None or "@" not in nd.inline.content or "/" not in nd.inline.content:
            continue
        m = _CHECKIN.match(nd.first())
        if m and m.group(1) not in out:
            out[m.group(1)] = m.group(2)
    return out


def _attendees(events: list[Event]) -> dict[str, str]:
    """Names listed under an `Attendees` / `Present` heading, one a line: name -> handle ("" if none).

    People write these names in lower case elsewhere ("(tony)"); listed here, they are names.
    """
    out: dict[str, str] = {}
    listing = False
    for ev in events:
        if ev.kind == "heading" and ev.inline is not None:
            listing = _ATTENDANCE.match(ev.inline.content.strip(" #*_:")) is not None
            continue
        if not listing:
            continue
        if ev.kind == "item" and ev.node is not None and ev.node.inline is not None:
            lines = ev.node.inline.content.split("\n")[:1]
        elif ev.kind == "para" and ev.inline is not None and not ev.in_item:
            lines = ev.inline.content.split("\n")[:200]
        else:
            continue
        for line in lines:
            m = _ROSTER_LINE.match(line)
            if m and m.group(1).casefold() not in _NOT_NAMES:
                out.setdefault(m.group(1), (m.group(2) or "").lstrip("@"))
    return out


def _section_items(
    nodes: list[Node],
    sections: list[Sec],
    repo: str | None,
    known: frozenset[str],
    meeting_at: MeetingAt,
    progress: Progress = _quiet,
) -> list[Found]:
    """Every list item a section claims (the innermost claim wins), in file order."""
    owner_of: dict[int, Sec] = {}
    for s in sections:
        for nd in s.nodes:
            owner_of[id(nd)] = s
    label_nodes = {id(s.label_node) for s in sections if s.label_node is not None}
    found: list[Found] = []
    index_of: dict[int, int] = {}
    for nd in nodes:
        sec = owner_of.get(id(nd))
        if sec is None or sec.label is None or id(nd) in label_nodes:
            continue
        progress(nd.line)
        parent = nd.parent
        while parent is not None and id(parent) not in index_of:
            parent = parent.parent if owner_of.get(id(parent)) is sec else None
        f = _found(nd, sec, repo, known, meeting_at, index_of.get(id(parent)) if parent is not None else None)
        if f is None:
            continue
        if len(found) == MAX_ITEMS:
            raise _ItemLimit(nd.line)
        index_of[id(nd)] = len(found)
        if f.item.parent is not None:
            found[f.item.parent].children.append(len(found))
        found.append(f)
    return found


def _found(
    nd: Node, sec: Sec, repo: str | None, known: frozenset[str], meeting_at: MeetingAt, parent: int | None
) -> Found | None:
    """One section item as written (None for a placeholder): its text, owners, refs, done."""
    first = nd.first()
    m = _CHECKBOX.match(first)
    text_line = first[m.end():].strip() if m else first
    if text_line.casefold().rstrip(":. ") in PLACEHOLDERS or EMPTYISH.match(text_line):
        return None
    segs = nd.segments()
    body_text = " ".join("".join(t for t, _ in segs).split())
    if m:
        body_text = _CHECKBOX.sub("", body_text, count=1)
    own = find_owners(body_text, text_line, known)
    raw = nd.inline.content if nd.inline is not None else ""
    done = bool(m and m.group(1) in "xX") or bool(
        _DONE_WORD.search(body_text) or _DONE_RAW.search(raw) or _struck_out(raw) or _FOLLOWED.search(body_text)
    )
    assert sec.label is not None
    item = Item(
        text=text_line, line=nd.line, owners=own.owners, tentative_owners=own.tentative,
        refs=find_refs(segs, repo), parent=parent, done=done, opens_issue=not done, source="section",
        section=sec.label.text, meeting=meeting_at(nd.line), body=body_text, end_line=nd.end_line(),
    )
    return Found(item, nd, own, sec, checkbox=m is not None)


# ---------------------------------------------------------------- meetings


def _meetings(
    text: str, path: str, events: list[Event], fm_title: str | None, fm_lines: int, env: dict[str, Any]
) -> list[Meeting]:
    dated: list[Meeting] = []
    first_heading: str | None = None
    for ev in events:
        if ev.kind != "heading" or ev.inline is None or ev.line <= fm_lines or ev.level > 3:
            continue
        plain = plain_text(segment_lines(ev.inline, env)[0]).strip()
        if first_heading is None and ev.level == 1:
            first_heading = plain
        date = mt.find_date(plain) or mt.month_of(plain)
        if date is None:
            continue
        if dated and date is not None and dated[-1].date == date:
            continue
        dated.append(Meeting(plain, date, ev.line))
    head_end = dated[0].line if dated else 1 << 60
    date_line = None
    for m in mt.DATE_LINE.finditer(text, 0, min(len(text), 20_000)):
        if text.count("\n", 0, m.start()) + 1 >= head_end:
            break
        date_line = mt.find_date(m.group(1))
        if date_line:
            break
    if fm_title or date_line:
        title = fm_title or first_heading
        date = date_line or (mt.find_date(title) if title else None) or mt.date_of_path(path)
        if dated and dated[0].line <= fm_lines + 3 and (dated[0].date in (None, date)):
            dated[0] = Meeting(title, date, 1)
            return dated
        return [Meeting(title, date, 1), *dated]
    if dated:
        return dated
    title = first_heading
    date = (mt.find_date(title) if title else None) or mt.date_of_path(path)
    return [Meeting(title, date, 1)]


def _meeting_at(meetings_t: list[Meeting], line: int) -> int | None:
    """The meeting a line belongs to: the last one starting at or before it (the first for lines above all).

    Meetings are in file order, so a binary search keeps many meetings linear overall.
    """
    if not meetings_t:
        return None
    k = bisect.bisect_right(meetings_t, line, key=lambda m: m.line) - 1
    return max(k, 0)


# ---------------------------------------------------------------- I/O and JSON


def read_notes_file(path: str, *, max_bytes: int = MAX_BYTES) -> str:
    """The text of a notes file, or an InputError that names the file and the fix."""
    if not os.path.exists(path):
        raise InputError(path, "no such file; check the path (it is relative to the current folder)")
    if os.path.isdir(path):
        raise InputError(path, "is a directory; give a markdown notes file, e.g. docs/meetings/2025-03-06.md")
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise InputError(
                path,
                f"is {size} bytes, over the {max_bytes}-byte limit; split the notes or raise max_file_bytes in .github/actionbot.yml",
            )
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc}); check its permissions") from None
    if len(data) > max_bytes:
        raise InputError(
            path, f"is over the {max_bytes}-byte limit; split the notes or raise max_file_bytes in .github/actionbot.yml"
        )
    if b"\x00" in data[:8192]:
        raise InputError(path, "is a binary file, not markdown notes; give a .md text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(path, "is not valid UTF-8 text; re-save it as UTF-8", line=line) from None
    return text


def notes_to_json(notes: Notes) -> dict[str, Any]:
    """The JSON contract of `actionbot parse --format json`."""
    return {
        "file": notes.path,
        "meetings": [{"title": m.title, "date": m.date, "line": m.line} for m in notes.meetings],
        "sections": [{"heading": s.heading, "line": s.line} for s in notes.sections],
        "items": [
            {
                "text": it.text,
                "line": it.line,
                "owners": list(it.owners),
                "tentative_owners": list(it.tentative_owners),
                "refs": list(it.refs),
                "parent": it.parent,
                "done": it.done,
                "opens_issue": it.opens_issue,
                "source": it.source,
                "section": it.section,
                "meeting": it.meeting,
            }
            for it in notes.items
        ],
        "people": dict(notes.people),
        "unsure": [{"line": u.line, "text": u.text, "reason": u.reason} for u in notes.unsure],
    }
