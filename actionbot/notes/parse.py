"""Meeting notes (markdown) -> meetings, actions sections and action items. Pure.

markdown-it-py tokenises the file once; its block tokens (with `.map` line
ranges) give the structure: headings, paragraphs, lists and list items. The
reading rules of a careful human (which label starts a section, which list
items are tasks, who owns them, what they reference) are applied on the plain
text of those blocks. `sections.py`, `owners.py`, `refs.py` and `meetings.py`
hold those rules; this module walks the structure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from actionbot.notes import meetings as mt
from actionbot.notes.blocks import MD, Event, Node, plain_text, segment_lines, structure
from actionbot.notes.labels import DEFAULT_PHRASES, REVIEW, Label, label_hint, match_label
from actionbot.notes.model import InputError, Item, Meeting, Notes, Section
from actionbot.notes.owners import VERBS, find_owners, label_owners, valid_name
from actionbot.notes.refs import find_refs

__all__ = ["DEFAULT_PHRASES", "MAX_BYTES", "notes_to_json", "parse_notes", "read_notes_file"]

MAX_BYTES = 1_000_000


_CHECKBOX = re.compile(r"^\s*\[([ xX])\]\s*")
_PLACEHOLDERS = frozenset(
    ["", "-", "*", "+", "...", "…", "concrete actions", "concrete actions here", "none", "n/a",
     "tbd", "assignee: item", "todo", "item", "action item"]
)
_EMPTYISH = re.compile(r"^[\s\-–—.…_*]*$|^\d+[.)]?$")
_DONE_WORD = re.compile(r"\bCOMPLETED\b|\[(?:DONE|done|Done)\]")
_DONE_RAW = re.compile(r"\*\*(?:DONE|Done)\*\*|~~.+~~\s*$")
# Status and information rather than a task: a paused topic, an FYI, a decision to
# leave something as it is, or a line that opens with an information label.
_STATUS = re.compile(
    r"\bon\s+(?:pause|hold)\b|^(?:heads[\s-]up|fyi)\b|"
    r"\b(?:leave|keep)\s+(?:it\s+|this\s+|them\s+)?(?:open|as\s+is)\b|\bno\s+action\s+(?:needed|required)\b|"
    r"^(?:benefits?|advantages?|drawbacks?|downsides?|upsides?|context|background|notes?|nb|info|status|rationale|"
    r"motivation|reasons?|outcomes?|results?|conclusions?|pros|cons|caveats?|observations?)\s*:",
    re.IGNORECASE,
)
# A statement about how things are ("X is testing it", "X is a later topic", "Y had
# not planned to ..."): a short subject, then a form of be/have that is not the
# start of a commitment ("is going to", "has to", "is happy to").
_STATEMENT = re.compile(
    r"^(?P<subject>[^\s,;:?!()]+(?:\s+[^\s,;:?!()]+){0,5}?)\s+(?:is|are|was|were|had|has\s+been|have\s+been)\b"
    r"(?!\s+(?:to|going|about|happy|willing|responsible|needed|required|volunteering|planning|meant)\b)",
    re.IGNORECASE,
)
_NOT_SUBJECT = frozenset(
    "we i you let's lets there it this here someone somebody anyone anybody everyone everybody who what "
    "when where why how which whether if should can could would do does did".split()
)
_TASK_START = re.compile(
    r"^(?:please\b|need\s+to\b|needs\s+to\b|we\s+(?:should|need|will|must|can)\b|let'?s\b|to\s+do\b)",
    re.IGNORECASE,
)
_FIRST_WORD = re.compile(r"[A-Za-z][\w'-]*")
_PROPOSAL = re.compile(r"\b(?:should|can|could|shall)\s+we\b|\bwe\s+(?:should|need|must)\b", re.IGNORECASE)
_URL_START = re.compile(r"^(?:https?://|www\.)|:\s*<?https?://\S+>?\s*$")
_INLINE = re.compile(
    r"^(?:(?P<who>[^:]{1,40}):\s+)?"
    r"(?P<marker>(?:todo|action\s+items?|action|next\s+step)\s*:|action\s*\([^()]{0,20}\)\s*:?)"
    r"\s*(?P<rest>\S.*)$",
    re.IGNORECASE,
)
_INLINE_HINT = re.compile(r"todo|action|next step", re.IGNORECASE)
_CHECKIN = re.compile(r"^\s*([A-ZÀ-ÖØ-Þ][\w'’.-]*(?:[ \t]+[A-ZÀ-ÖØ-Þ][\w'’.-]*){0,3})\s*/\s*@([A-Za-z0-9][\w-]*)")
_CONTAINER_HINT = re.compile(r"\bagenda\b|\bdecisions?\s+needed\b|\bdiscussion\s+needed\b", re.IGNORECASE)
_NOW_HERE = re.compile(r"\bnow here\b", re.IGNORECASE)


@dataclass(eq=False)
class _Sec:
    label: Label | None  # None: a review of earlier actions, which claims its lines for nothing
    line: int
    heading_level: int = 0
    start: int = 0  # heading sections: line extent [start, stop)
    stop: int = 0
    nodes: list[Node] = field(default_factory=list)
    owners: tuple[str, ...] = ()
    vetoed: bool = False
    label_node: Node | None = None


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


def _is_statement(text: str) -> bool:
    """A declarative status line, not a task: no imperative, no question, no commitment."""
    m = _STATEMENT.match(text)
    if not m or "?" in text[: m.end() + 80]:
        return False
    words = _FIRST_WORD.findall(m.group("subject"))
    if not words or words[0].casefold() in VERBS:
        return False  # "Make sure the docs are ...": an imperative
    return not any(w.casefold() in _NOT_SUBJECT for w in words)


def _looks_like_task(text: str, owned: bool) -> bool:
    """Whether a line reads as a task (imperative, "we should", an owner), not a topic."""
    if owned or _TASK_START.match(text) or _PROPOSAL.search(text):
        return True
    words = _FIRST_WORD.findall(text[:80])
    k = 0
    while k < len(words) - 1 and (words[k].casefold().endswith("ly") or words[k].casefold() in ("more", "also", "then")):
        k += 1  # "Temporarily make ...", "More tightly couple ..."
    if not words:
        return False
    w = words[k].casefold()
    return w in VERBS or (len(w) > 5 and w.endswith(("ify", "ize", "ise", "ing")))


def _one_line(raw: str) -> bool:
    """A label stands alone on its line; only placeholders (`4.`, `...`) may follow it lazily."""
    if "\n" not in raw:
        return True
    rest = raw.split("\n")[1:]
    return all(_EMPTYISH.match(ln.strip()) or ln.strip().casefold() in _PLACEHOLDERS for ln in rest)


def _label_of(node: Node, phrases: tuple[str, ...]) -> Label | None:
    inline = node.inline
    if inline is None:
        return None
    raw = inline.content
    if len(raw) > 120 or not label_hint(phrases).search(raw) or not _one_line(raw):
        return None
    first = node.first()
    if _CHECKBOX.match(first):
        return None  # "* [x] Follow ups" is an agenda entry, not a label
    label = match_label(first, phrases)
    if label is None:
        return None
    return Label(node.prefix + label.text, label.phrase, label.qualifier, label.owner)


def parse_notes(
    text: str,
    *,
    path: str = "notes.md",
    repo: str | None = None,
    phrases: Iterable[str] = (),
    people: Mapping[str, str] | None = None,
) -> Notes:
    """Everything a careful reader finds in one notes file. Never raises on a str."""
    phrase_t = tuple(p for p in phrases if isinstance(p, str) and p.strip())
    fm_title, fm_lines = mt.front_matter(text)
    env: dict[str, Any] = {}
    tokens = MD.parse(text, env)
    events, nodes = structure(tokens, env)

    found_people = _checkins(nodes, events)
    known = _known_names(people, found_people)

    sections = _find_sections(events, nodes, phrase_t, fm_lines, known, env)
    owner_of: dict[int, _Sec] = {}
    sec: _Sec | None
    for sec in sections:
        if sec.vetoed:
            continue
        for nd in sec.nodes:
            owner_of[id(nd)] = sec
    label_nodes = {id(sec.label_node) for sec in sections if sec.label_node is not None}

    meetings_t = _meetings(text, path, events, fm_title, fm_lines, env)

    items: list[Item] = []
    info: list[dict[str, Any]] = []  # per item: node, owners from its own text, etc.
    index_of: dict[int, int] = {}
    for nd in nodes:
        sec = owner_of.get(id(nd))
        if sec is None or sec.label is None or id(nd) in label_nodes:
            continue
        first = nd.first()
        m = _CHECKBOX.match(first)
        done = bool(m and m.group(1) in "xX")
        text_line = first[m.end():].strip() if m else first
        if text_line.casefold().rstrip(":. ") in _PLACEHOLDERS or _EMPTYISH.match(text_line):
            continue
        segs = nd.segments()
        body_text = " ".join("".join(t for t, _ in segs).split())
        if m:
            body_text = _CHECKBOX.sub("", body_text, count=1)
        own = find_owners(body_text, text_line, known)
        raw = nd.inline.content if nd.inline is not None else ""
        done = done or bool(_DONE_WORD.search(body_text) or _DONE_RAW.search(raw))
        parent = nd.parent
        while parent is not None and id(parent) not in index_of:
            if owner_of.get(id(parent)) is not sec:
                parent = None
                break
            parent = parent.parent
        pidx = index_of.get(id(parent)) if parent is not None else None
        index_of[id(nd)] = len(items)
        items.append(
            Item(
                text=text_line,
                line=nd.line,
                owners=own.owners,
                tentative_owners=own.tentative,
                refs=find_refs(segs, repo),
                parent=pidx,
                done=done,
                opens_issue=not done,
                source="section",
                section=sec.label.text,
                meeting=_meeting_at(meetings_t, nd.line),
                body=body_text,
                end_line=nd.end_line(),
            )
        )
        info.append({"node": nd, "own": own, "sec": sec, "children": []})
    for k, it in enumerate(items):
        if it.parent is not None:
            info[it.parent]["children"].append(k)
    items = _judge(items, info)
    ranges = [(s.start, s.stop) for s in sections if s.heading_level and not s.vetoed]
    items.extend(_inline_actions(events, owner_of, ranges, repo, known, meetings_t, env))

    return Notes(
        path=path,
        meetings=tuple(meetings_t),
        sections=tuple(
            sorted((Section(s.label.text, s.line) for s in sections if s.label is not None and not s.vetoed),
                   key=lambda s: s.line)
        ),
        items=tuple(items),
        people=dict(found_people),
    )


def _checkins(nodes: list[Node], events: list[Event]) -> dict[str, str]:
    """Roster written in the notes: check-in lines `Name / @handle / org`."""
    out: dict[str, str] = {}
    for nd in nodes:
        if nd.inline is None or "@" not in nd.inline.content or "/" not in nd.inline.content:
            continue
        m = _CHECKIN.match(nd.first())
        if m and m.group(1) not in out:
            out[m.group(1)] = m.group(2)
    return out


def _find_sections(
    events: list[Event],
    nodes: list[Node],
    phrases: tuple[str, ...],
    fm_lines: int,
    known: frozenset[str],
    env: dict[str, Any],
) -> list[_Sec]:
    secs: list[_Sec] = []
    heading_secs: list[_Sec] = []
    open_headings: list[_Sec] = []
    pending: _Sec | None = None
    list_nodes: dict[int, list[Node]] = {}
    for nd in nodes:
        list_nodes.setdefault(nd.list_id, []).append(nd)

    def descendants(nd: Node) -> list[Node]:
        out: list[Node] = []
        todo = list(reversed(nd.children))
        while todo:
            c = todo.pop()
            out.append(c)
            todo.extend(reversed(c.children))
        return out

    for ev in events:
        if ev.line <= fm_lines:
            continue
        if pending is not None:
            if ev.kind == "list":
                for nd in list_nodes.get(ev.list_id, []):
                    pending.nodes.append(nd)
                    pending.nodes.extend(descendants(nd))
            secs.append(pending)  # a label with no list after it is still a section, with no items
            pending = None
            if ev.kind == "list":
                continue
        if ev.kind == "heading" and ev.inline is not None:
            level = ev.level
            plain = plain_text(segment_lines(ev.inline, env)[0]).strip()
            label = match_label(plain, phrases) if label_hint(phrases).search(plain) else None
            if label is not None or _CONTAINER_HINT.search(plain):
                # checked before the heading closes anything: "## Actions" then
                # "## 1. Open questions; agenda topics" is the template's container
                for h in open_headings:
                    h.vetoed = h.vetoed or _bare(h)
            while open_headings and open_headings[-1].heading_level >= level:
                open_headings.pop().stop = ev.line
            if label is not None:
                sec = _Sec(label, ev.line, level, ev.line, 1 << 60)
                sec.owners = _label_owner_names(label, known)
            elif label_hint(phrases).search(plain) and REVIEW.search(plain):
                sec = _Sec(None, ev.line, level, ev.line, 1 << 60)
            else:
                continue
            open_headings.append(sec)
            heading_secs.append(sec)
        elif ev.kind == "item" and ev.node is not None:
            nd = ev.node
            label = _label_of(nd, phrases)
            if label is None:
                if not ev.in_item and nd.inline is not None and _CONTAINER_HINT.search(nd.inline.content[:200]):
                    for h in open_headings:
                        h.vetoed = h.vetoed or _bare(h)
                continue
            for h in open_headings:
                h.vetoed = h.vetoed or _bare(h)
            sec = _Sec(label, nd.line)
            sec.owners = _label_owner_names(label, known)
            sec.label_node = nd
            if nd.children:
                sec.nodes = descendants(nd)
                secs.append(sec)
            else:
                siblings = _next_siblings(nd, list_nodes, phrases)
                if siblings:
                    # "- Action items:" then "- do X" in the same list: the items after it
                    for sib in siblings:
                        sec.nodes.append(sib)
                        sec.nodes.extend(descendants(sib))
                    secs.append(sec)
                else:
                    pending = sec
        elif ev.kind == "para" and ev.inline is not None and not ev.in_item:
            raw = ev.inline.content
            if len(raw) > 120 or not label_hint(phrases).search(raw) or not _one_line(raw):
                if open_headings and _CONTAINER_HINT.search(raw[:200]):
                    for h in open_headings:
                        h.vetoed = h.vetoed or _bare(h)
                continue
            label = match_label(plain_text(segment_lines(ev.inline, env)[0]).strip(), phrases)
            if label is not None:
                pending = _Sec(label, ev.line)
                pending.owners = _label_owner_names(label, known)
                for h in open_headings:
                    h.vetoed = h.vetoed or _bare(h)

    if pending is not None:
        secs.append(pending)
    # Heading extents claim the items in their lines; labels inside them override.
    for h in heading_secs:
        h.nodes = [nd for nd in nodes if h.start < nd.line < h.stop]
    ordered = heading_secs + secs
    return ordered


def _bare(sec: _Sec) -> bool:
    """A bare `Actions` heading wrapping agenda and decisions is a container, not a section."""
    return sec.label is not None and sec.label.phrase in ("actions", "action") and not sec.label.qualifier


def _next_siblings(nd: Node, list_nodes: dict[int, list[Node]], phrases: tuple[str, ...]) -> list[Node]:
    """The items after a childless label in its own list, up to the next label."""
    sib = [s for s in list_nodes.get(nd.list_id, []) if s.parent is nd.parent]
    try:
        k = sib.index(nd)
    except ValueError:
        return []
    out = []
    for s in sib[k + 1 :]:
        if _label_of(s, phrases) is not None:
            break
        out.append(s)
    return out


def _label_owner_names(label: Label, known: frozenset[str]) -> tuple[str, ...]:
    if label.owner:
        return label_owners(label.owner, known)
    if label.qualifier.startswith("("):
        return label_owners(label.qualifier, known)
    return ()


def _judge(items: list[Item], info: list[dict[str, Any]]) -> list[Item]:
    """Section owners, ownership-only sub-items, and which items open an issue."""
    from dataclasses import replace

    out = list(items)
    own_owned = [bool(it.owners) for it in items]
    grouping = [False] * len(items)
    for k, it in enumerate(items):
        kids = info[k]["children"]
        if kids and not it.done and not own_owned[k] and not _looks_like_task(it.text, False) and any(
            _looks_like_task(items[c].text, own_owned[c]) for c in kids
        ):
            grouping[k] = True
    for k, it in enumerate(items):
        sec: _Sec = info[k]["sec"]
        owners, tentative = list(it.owners), list(it.tentative_owners)
        opens = not it.done
        ownership_only = info[k]["own"].ownership_only
        if it.parent is None or grouping[it.parent]:
            if (
                grouping[k]
                or _STATUS.search(it.text)
                or (not own_owned[k] and _is_statement(it.text))
                or (it.parent is not None and _URL_START.search(it.text))
            ):
                opens = False
        else:
            if ownership_only or not own_owned[k]:
                opens = False
        for c in info[k]["children"]:
            if info[c]["own"].ownership_only and not owners:
                owners = list(items[c].owners)
                tentative = list(items[c].tentative_owners)
        for o in sec.owners:
            if o.casefold() not in {x.casefold() for x in owners}:
                owners.append(o)
        opens = opens and not it.done
        if tuple(owners) != it.owners or tuple(tentative) != it.tentative_owners or opens != it.opens_issue:
            out[k] = replace(it, owners=tuple(owners), tentative_owners=tuple(tentative), opens_issue=opens)
    return out


def _inline_actions(
    events: list[Event],
    owner_of: dict[int, _Sec],
    ranges: list[tuple[int, int]],
    repo: str | None,
    known: frozenset[str],
    meetings_t: list[Meeting],
    env: dict[str, Any],
) -> list[Item]:
    """`TODO:` / `Action:` / `ACTION ITEM:` / `Next step:` lines outside every section."""
    out: list[Item] = []
    for ev in events:
        if ev.kind == "item" and ev.node is not None:
            nd = ev.node
            if nd.inline is None or id(nd) in owner_of or not _INLINE_HINT.search(nd.inline.content):
                continue
            lines = nd.lines()[:1]
            start = nd.inline.map[0] + 1 if nd.inline.map else nd.line
        elif ev.kind == "para" and ev.inline is not None:
            if ev.node is not None and id(ev.node) in owner_of:
                continue
            if any(a < ev.line < b for a, b in ranges):
                continue
            if not _INLINE_HINT.search(ev.inline.content):
                continue
            lines = segment_lines(ev.inline, env)
            start = ev.line
        else:
            continue
        for off, segs in enumerate(lines):
            first = plain_text(segs).strip()
            cb = _CHECKBOX.match(first)
            plain = first[cb.end():] if cb else first
            m = _INLINE.match(plain)
            if not m:
                continue
            who = m.group("who")
            if who and not all(valid_name(w.strip(), known) for w in re.split(r"\s*(?:,|/|&|\band\b)\s*", who) if w.strip()):
                continue
            rest = m.group("rest")
            own = find_owners(rest, None, known)
            owners = list(own.owners)
            if who:
                for w in re.split(r"\s*(?:,|/|&|\band\b)\s*", who):
                    w = w.strip()
                    if w and w.casefold() not in {o.casefold() for o in owners}:
                        owners.insert(0, w)
            done = bool(cb and cb.group(1) in "xX") or bool(_NOW_HERE.search(plain) or _DONE_WORD.search(plain))
            line = start + off
            out.append(
                Item(
                    text=plain.strip(),
                    line=line,
                    owners=tuple(owners),
                    tentative_owners=own.tentative,
                    refs=find_refs(segs, repo),
                    parent=None,
                    done=done,
                    opens_issue=not done,
                    source="inline",
                    section=None,
                    meeting=_meeting_at(meetings_t, line),
                    body=plain.strip(),
                    end_line=line,
                )
            )
    return out


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
        date = mt.find_date(plain)
        if date is None and not mt.is_month_heading(plain):
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
        date = date_line or (mt.find_date(title) if title else None) or mt.find_date(os.path.basename(path))
        if dated and dated[0].line <= fm_lines + 3 and (dated[0].date in (None, date)):
            dated[0] = Meeting(title, date, 1)
            return dated
        return [Meeting(title, date, 1), *dated]
    if dated:
        return dated
    title = first_heading
    date = (mt.find_date(title) if title else None) or mt.find_date(os.path.basename(path))
    return [Meeting(title, date, 1)]


def _meeting_at(meetings_t: list[Meeting], line: int) -> int | None:
    found = None
    for k, m in enumerate(meetings_t):
        if m.line <= line:
            found = k
        else:
            break
    if found is None and meetings_t:
        return 0
    return found


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
    """The JSON contract of `actionbot parse --format json` (issue 2)."""
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
    }
