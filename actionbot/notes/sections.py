"""Where the actions sections of a notes file are, and which list items each one holds.

A section starts at an action label (`labels.py`): a heading claims the lines up
to the next heading of its level or higher, a list item its sub-items (or, when
it has none, the items after it in its list), a paragraph the list right after
it. Reviews of earlier actions are sections too, of nothing: their lines were
opened from earlier notes. A bare `Actions` heading that wraps the agenda and
the decisions is a container, not a section (it is vetoed).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from actionbot.notes.blocks import Event, Node, line_items, plain_text, segment_lines
from actionbot.notes.labels import Label, is_review, label_hint, match_label
from actionbot.notes.owners import VERBS, label_owners

_CHECKBOX = re.compile(r"^\s*\[([ xX])\]\s*")
PLACEHOLDERS = frozenset(
    ["", "-", "*", "+", "...", "…", "concrete actions", "concrete actions here", "none", "n/a",
     "tbd", "assignee: item", "todo", "item", "action item"]
)
EMPTYISH = re.compile(r"^[\s\-–—.…_*]*$|^\d+[.)]?$")
_CONTAINER_HINT = re.compile(r"\bagenda\b|\bdecisions?\s+needed\b|\bdiscussion\s+needed\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"[A-Za-z][\w'-]*")
_FAR = 1 << 60
_MAX_LABEL = 120  # longer lines are sentences


@dataclass(eq=False)
class Sec:
    """One actions section: its label, where it is, and the list items it claims."""

    label: Label | None  # None: a review of earlier actions, which claims its lines for nothing
    line: int
    heading_level: int = 0
    start: int = 0  # heading sections: line extent [start, stop)
    stop: int = 0
    nodes: list[Node] = field(default_factory=list)
    owners: tuple[str, ...] = ()
    vetoed: bool = False
    label_node: Node | None = None


def one_line(raw: str) -> bool:
    """A label stands alone on its line; only placeholders (`4.`, `...`) may follow it lazily."""
    if "\n" not in raw:
        return True
    rest = raw.split("\n")[1:]
    return all(EMPTYISH.match(ln.strip()) or ln.strip().casefold() in PLACEHOLDERS for ln in rest)


def _wrapped(raw_lines: list[str], k: int) -> bool:
    """Line `k` is a sentence that wraps onto the next line (which goes on in lower case)."""
    if k + 1 >= len(raw_lines):
        return False
    nxt = raw_lines[k + 1].lstrip(" \t")
    return nxt[:1].islower() and not raw_lines[k].rstrip().endswith(":")


def label_of(node: Node, phrases: tuple[str, ...]) -> Label | None:
    """The label a list item is, when the whole first line of its text is one.

    Lines after it in the same paragraph are its items (see `line_items`) unless
    the first line is a sentence that wraps onto them.
    """
    inline = node.inline
    if inline is None:
        return None
    raw = inline.content
    head = raw.split("\n", 1)[0]
    if len(head) > _MAX_LABEL or not label_hint(phrases).search(head):
        return None
    if "\n" in raw and _wrapped(raw.split("\n"), 0):
        return None
    first = node.first()
    if _CHECKBOX.match(first) or is_review(first):
        return None  # "* [x] Follow ups" is an agenda entry, not a label
    label = match_label(first, phrases)
    if label is None:
        return None
    return Label(node.prefix + label.text, label.phrase, label.qualifier, label.owner)


def _names_agenda(text: str) -> bool:
    """An item that names the agenda or the decisions the way a heading does, not a task about them."""
    m = _CONTAINER_HINT.search(text[:200])
    if m is None or ":" in text[: m.start()]:
        return False  # "All: add ideas to the agenda" is a task
    if "agenda" not in m.group(0).casefold():
        return True  # "Decisions needed", "Help or discussion needed": topic names
    words = _FIRST_WORD.findall(text[:40])
    return not words or words[0].casefold() not in VERBS


def descendants(nd: Node) -> list[Node]:
    """Every list item under `nd`, in file order."""
    out: list[Node] = []
    todo = list(reversed(nd.children))
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(reversed(c.children))
    return out


def _bare(sec: Sec) -> bool:
    """A bare `Actions` heading wrapping agenda and decisions is a container, not a section."""
    return sec.label is not None and sec.label.phrase in ("actions", "action") and not sec.label.qualifier


def _label_owner_names(label: Label, known: frozenset[str]) -> tuple[str, ...]:
    if label.owner:
        return label_owners(label.owner, known)
    if label.qualifier.startswith("("):
        return label_owners(label.qualifier, known)
    return ()


class _Finder:
    """Walks the block events once, opening and closing sections."""

    def __init__(self, nodes: list[Node], phrases: tuple[str, ...], known: frozenset[str], env: dict[str, Any]):
        self.nodes = nodes
        self.phrases = phrases
        self.known = known
        self.env = env
        self.hint = label_hint(phrases)
        self.secs: list[Sec] = []
        self.heading_secs: list[Sec] = []
        self.open_headings: list[Sec] = []
        self.pending: Sec | None = None
        self.after_heading: Sec | None = None  # a heading label whose plain lines may follow
        self.synthetic: list[Node] = []  # items read from plain or makeshift-bullet lines
        self.list_nodes: dict[int, list[Node]] = {}
        for nd in nodes:
            self.list_nodes.setdefault(nd.list_id, []).append(nd)

    def run(self, events: list[Event], fm_lines: int, progress: Callable[[int], None] | None = None) -> list[Sec]:
        for ev in events:
            if progress is not None:
                progress(ev.line)
            if ev.line <= fm_lines:
                continue
            if self.pending is not None and self._close_pending(ev):
                continue
            if self.after_heading is not None and self._heading_lines(ev):
                continue
            if ev.kind == "heading" and ev.inline is not None:
                self._heading(ev)
            elif ev.kind == "item" and ev.node is not None:
                self._item(ev, ev.node)
            elif ev.kind == "para" and ev.inline is not None and not ev.in_item:
                self._para(ev)
        if self.pending is not None:
            self.secs.append(self.pending)
        # Heading extents claim the items in their lines; labels inside them override.
        ordered = sorted(self.nodes, key=lambda nd: nd.line)
        lines = [nd.line for nd in ordered]
        for h in self.heading_secs:
            h.nodes.extend(ordered[bisect.bisect_right(lines, h.start) : bisect.bisect_left(lines, h.stop)])
        return self.heading_secs + self.secs

    def _veto_open(self) -> None:
        """Another label or an agenda opened inside bare `Actions` headings: they are containers."""
        for h in self.open_headings:
            h.vetoed = h.vetoed or _bare(h)

    def _new(self, label: Label, line: int) -> Sec:
        sec = Sec(label, line)
        sec.owners = _label_owner_names(label, self.known)
        return sec

    def _claim(self, sec: Sec, roots: list[Node]) -> None:
        for nd in roots:
            sec.nodes.append(nd)
            sec.nodes.extend(descendants(nd))

    def _lines_of(self, sec: Sec, inline: Token, first: int, parent: Node | None) -> list[Node]:
        """Lines of a paragraph read as items of `sec` (the label's list when CommonMark saw none)."""
        found = line_items(inline, first, parent, -2 - len(self.synthetic), self.env)
        self.synthetic.extend(found)
        if sec.label is not None:
            sec.nodes.extend(found)
        return found

    def _close_pending(self, ev: Event) -> bool:
        """A paragraph label takes the list (or else the plain lines) right after it; True when `ev` was that."""
        pending = self.pending
        assert pending is not None
        taken = ev.kind == "list" or (ev.kind == "para" and not ev.in_item and ev.inline is not None)
        if ev.kind == "list":
            self._claim(pending, self.list_nodes.get(ev.list_id, []))
        elif taken:
            assert ev.inline is not None
            self._lines_of(pending, ev.inline, 0, None)
        self.secs.append(pending)  # a label with no list after it is still a section, with no items
        self.pending = None
        return taken

    def _heading_lines(self, ev: Event) -> bool:
        """A heading label followed by plain lines, not a list: each line is an item.

        One line alone under a heading is prose about the section, not an item.
        """
        sec, self.after_heading = self.after_heading, None
        if sec is None or ev.kind != "para" or ev.in_item or ev.inline is None or "\n" not in ev.inline.content:
            return False
        self._lines_of(sec, ev.inline, 0, None)
        return True

    def _heading(self, ev: Event) -> None:
        assert ev.inline is not None
        level = ev.level
        plain = plain_text(segment_lines(ev.inline, self.env)[0]).strip()
        hinted = self.hint.search(plain) is not None
        label = match_label(plain, self.phrases) if hinted else None
        if label is not None or _CONTAINER_HINT.search(plain):
            # checked before the heading closes anything: "## Actions" then
            # "## 1. Open questions; agenda topics" is the template's container
            self._veto_open()
        while self.open_headings and self.open_headings[-1].heading_level >= level:
            self.open_headings.pop().stop = ev.line
        if hinted and is_review(plain):
            sec = Sec(None, ev.line)
        elif label is not None:
            sec = self._new(label, ev.line)
            self.after_heading = sec
        else:
            return
        sec.heading_level, sec.start, sec.stop = level, ev.line, _FAR
        self.open_headings.append(sec)
        self.heading_secs.append(sec)

    def _item(self, ev: Event, nd: Node) -> None:
        label = label_of(nd, self.phrases)
        if label is None:
            head = nd.inline.content[:200] if nd.inline is not None else ""
            if not ev.in_item and _CONTAINER_HINT.search(head) and _names_agenda(nd.first()):
                self._veto_open()
            if not nd.children and self.hint.search(head) and self._review_line(nd.first()):
                self.pending = Sec(None, nd.line)
            return
        self._veto_open()
        sec = self._new(label, nd.line)
        sec.label_node = nd
        assert nd.inline is not None
        if "\n" in nd.inline.content:
            self._lines_of(Sec(None, 0), nd.inline, 1, nd)  # makeshift bullets inside the label's paragraph
            nd.children.sort(key=lambda c: c.line)
        if nd.children:
            sec.nodes = descendants(nd)
            self.secs.append(sec)
            return
        siblings = self._next_siblings(nd)
        if siblings:
            # "- Action items:" then "- do X" in the same list: the items after it
            self._claim(sec, siblings)
            self.secs.append(sec)
        else:
            self.pending = sec

    def _review_line(self, plain: str) -> bool:
        """A short line about earlier actions ("Action items completed:"): its list is a review."""
        return len(plain) <= 80 and self.hint.search(plain) is not None and is_review(plain)

    def _para(self, ev: Event) -> None:
        """A label on a line of its own, anywhere in a paragraph: the lines after it, or the next list."""
        assert ev.inline is not None
        raw = ev.inline.content
        if not self.hint.search(raw):
            if self.open_headings and _CONTAINER_HINT.search(raw[:200]):
                self._veto_open()
            return
        raw_lines = raw.split("\n")
        lines = segment_lines(ev.inline, self.env)
        if len(lines) != len(raw_lines):
            lines, raw_lines = lines[:1], raw_lines[:1]  # a code span or tag across lines: the first only
        for k, segs in enumerate(lines):
            if len(raw_lines[k]) > _MAX_LABEL or not self.hint.search(raw_lines[k]) or _wrapped(raw_lines, k):
                continue
            plain = plain_text(segs).strip()
            if self._review_line(plain):
                self.pending = Sec(None, ev.line + k)
                return
            label = match_label(plain, self.phrases)
            if label is None:
                continue
            self._veto_open()
            sec = self._new(label, ev.line + k)
            if k + 1 < len(raw_lines) and not one_line("\n".join(raw_lines[k:])):
                self._lines_of(sec, ev.inline, k + 1, None)
                self.secs.append(sec)
            else:
                self.pending = sec
            return
        if self.open_headings and _CONTAINER_HINT.search(raw[:200]):
            self._veto_open()

    def _next_siblings(self, nd: Node) -> list[Node]:
        """The items after a childless label in its own list, up to the next label."""
        sib = [s for s in self.list_nodes.get(nd.list_id, []) if s.parent is nd.parent]
        try:
            k = sib.index(nd)
        except ValueError:
            return []
        out = []
        for s in sib[k + 1 :]:
            if label_of(s, self.phrases) is not None:
                break
            out.append(s)
        return out


def find_sections(
    events: list[Event],
    nodes: list[Node],
    phrases: tuple[str, ...],
    fm_lines: int,
    known: frozenset[str],
    env: dict[str, Any],
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Sec], list[Node]]:
    """Every section (vetoed containers and reviews included), headings first; and the
    items read from lines CommonMark did not make list items (makeshift bullets, plain lines)."""
    finder = _Finder(nodes, phrases, known, env)
    return finder.run(events, fm_lines, progress), finder.synthetic
