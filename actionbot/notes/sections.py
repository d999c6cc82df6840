"""Where the actions sections of a notes file are, and which list items each one holds.

A section starts at an action label (`labels.py`): a heading claims the lines up
to the next heading of its level or higher, a list item its sub-items (or, when
it has none, the items after it in its list), a paragraph the list right after
it. Reviews of earlier actions are sections too, of nothing: their lines were
opened from earlier notes. A bare `Actions` heading that wraps the agenda and
the decisions is a container, not a section (it is vetoed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from actionbot.notes.blocks import Event, Node, plain_text, segment_lines
from actionbot.notes.labels import REVIEW, Label, label_hint, match_label
from actionbot.notes.owners import label_owners

_CHECKBOX = re.compile(r"^\s*\[([ xX])\]\s*")
PLACEHOLDERS = frozenset(
    ["", "-", "*", "+", "...", "…", "concrete actions", "concrete actions here", "none", "n/a",
     "tbd", "assignee: item", "todo", "item", "action item"]
)
EMPTYISH = re.compile(r"^[\s\-–—.…_*]*$|^\d+[.)]?$")
_CONTAINER_HINT = re.compile(r"\bagenda\b|\bdecisions?\s+needed\b|\bdiscussion\s+needed\b", re.IGNORECASE)
_FAR = 1 << 60


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


def label_of(node: Node, phrases: tuple[str, ...]) -> Label | None:
    """The label a list item is, when its whole text is one."""
    inline = node.inline
    if inline is None:
        return None
    raw = inline.content
    if len(raw) > 120 or not label_hint(phrases).search(raw) or not one_line(raw):
        return None
    first = node.first()
    if _CHECKBOX.match(first):
        return None  # "* [x] Follow ups" is an agenda entry, not a label
    label = match_label(first, phrases)
    if label is None:
        return None
    return Label(node.prefix + label.text, label.phrase, label.qualifier, label.owner)


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
        self.list_nodes: dict[int, list[Node]] = {}
        for nd in nodes:
            self.list_nodes.setdefault(nd.list_id, []).append(nd)

    def run(self, events: list[Event], fm_lines: int) -> list[Sec]:
        for ev in events:
            if ev.line <= fm_lines:
                continue
            if self.pending is not None and self._close_pending(ev):
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
        for h in self.heading_secs:
            h.nodes = [nd for nd in self.nodes if h.start < nd.line < h.stop]
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

    def _close_pending(self, ev: Event) -> bool:
        """A paragraph label takes the list right after it; True when `ev` was that list."""
        pending = self.pending
        assert pending is not None
        is_list = ev.kind == "list"
        if is_list:
            self._claim(pending, self.list_nodes.get(ev.list_id, []))
        self.secs.append(pending)  # a label with no list after it is still a section, with no items
        self.pending = None
        return is_list

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
        if label is not None:
            sec = self._new(label, ev.line)
        elif hinted and REVIEW.search(plain):
            sec = Sec(None, ev.line)
        else:
            return
        sec.heading_level, sec.start, sec.stop = level, ev.line, _FAR
        self.open_headings.append(sec)
        self.heading_secs.append(sec)

    def _item(self, ev: Event, nd: Node) -> None:
        label = label_of(nd, self.phrases)
        if label is None:
            if not ev.in_item and nd.inline is not None and _CONTAINER_HINT.search(nd.inline.content[:200]):
                self._veto_open()
            return
        self._veto_open()
        sec = self._new(label, nd.line)
        sec.label_node = nd
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

    def _para(self, ev: Event) -> None:
        assert ev.inline is not None
        raw = ev.inline.content
        if len(raw) > 120 or not self.hint.search(raw) or not one_line(raw):
            if self.open_headings and _CONTAINER_HINT.search(raw[:200]):
                self._veto_open()
            return
        label = match_label(plain_text(segment_lines(ev.inline, self.env)[0]).strip(), self.phrases)
        if label is not None:
            self.pending = self._new(label, ev.line)
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
) -> list[Sec]:
    """Every section (vetoed containers and reviews included), headings first."""
    return _Finder(nodes, phrases, known, env).run(events, fm_lines)
