"""The block structure of a notes file, from markdown-it-py's token stream.

The file is tokenised once; list items become a tree (`Node`: line range,
first paragraph, parent, children) and every block becomes an `Event` in file
order, which is all the reading rules need to find labels and their lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

MD = MarkdownIt("commonmark")
# Block structure is tokenised for the whole file; inline markup (links, emphasis,
# escapes) only for the few lines the reading needs, by the same markdown-it
# inline parser the "inline" core rule would run on every paragraph.
MD.core.ruler.disable(["inline", "text_join"])

Segment = tuple[str, "str | None"]


# Characters that start inline markup (escapes, code, emphasis, strikethrough, links,
# images, autolinks, HTML, entities). Text without any of them is its own plain text,
# so most lines of notes need no inline parsing at all.
_MARKUP = re.compile(r"[\\`*_~\[\]<>&]")


# Past this many characters a paragraph is read as written, markup and all: no notes
# item is that long, and markdown-it's inline rules are slow on some long runs of
# markup (`*a_*a_...`, `[[[...`), seconds a megabyte.
MAX_INLINE = 20_000


def _break_lines(content: str) -> list[str]:
    """`content` split at line breaks, the spaces around each break dropped.

    What splitting on ` *\\n[ \\t]*` gives, with string methods: that regex
    rescans a run of spaces from each of its positions (quadratic on a long run).
    """
    parts = content.split("\n")
    for i in range(1, len(parts)):
        parts[i - 1] = parts[i - 1].rstrip(" ")
        parts[i] = parts[i].lstrip(" \t")
    return parts


def segment_lines(inline: Token, env: dict[str, Any]) -> list[list[Segment]]:
    """The plain text of an inline token, line by line, as (text, link target) pieces."""
    content = inline.content
    if not inline.children and (len(content) > MAX_INLINE or not _MARKUP.search(content)):
        # what markdown-it's inline rules give for plain text: one text piece per line,
        # spaces around each line break dropped
        return [[(ln, None)] if ln else [] for ln in _break_lines(content)]
    if not inline.children and content:
        inline.children = []
        MD.inline.parse(inline.content, MD, env, inline.children)
    lines: list[list[Segment]] = [[]]
    href: str | None = None
    for c in inline.children or ():
        t = c.type
        if t == "text" or t == "text_special" or t == "code_inline" or t == "html_inline":
            if c.content:
                lines[-1].append((c.content, href))
        elif t == "softbreak" or t == "hardbreak":
            lines.append([])
        elif t == "link_open":
            href = str(c.attrs.get("href") or "")
        elif t == "link_close":
            href = None
        elif t == "image" and c.content:
            lines[-1].append((c.content, href))
    return lines


def plain_text(line: list[Segment]) -> str:
    return "".join(t for t, _ in line)


@dataclass(eq=False, slots=True)
class Node:
    """A list item of the document."""

    line: int
    end: int
    parent: Node | None
    list_id: int
    prefix: str  # "3. " for ordered items, "" for bullets (labels keep their number)
    env: dict[str, Any]  # markdown-it env of the file (reference link definitions)
    inline: Token | None = None
    extra: list[Token] = field(default_factory=list)
    blocks: int = 0
    children: list[Node] = field(default_factory=list)
    _lines: list[list[Segment]] | None = None
    plain_line: bool = False  # a line read as an item with no bullet at all (see `line_items`)

    def lines(self) -> list[list[Segment]]:
        if self._lines is None:
            self._lines = segment_lines(self.inline, self.env) if self.inline is not None else [[]]
        return self._lines

    def first(self) -> str:
        return plain_text(self.lines()[0]).strip()

    def segments(self) -> list[Segment]:
        """The item's own text: its paragraphs, not its sub-items."""
        out: list[Segment] = []
        for ln in self.lines():
            out.extend(ln)
            out.append((" ", None))
        for tok in self.extra:
            for ln in segment_lines(tok, self.env):
                out.extend(ln)
                out.append((" ", None))
        return out

    def end_line(self) -> int:
        last = self.line
        for tok in [self.inline, *self.extra]:
            if tok is not None and tok.map:
                last = max(last, tok.map[1])
        return last


@dataclass(eq=False, slots=True)
class Event:
    kind: str  # "heading" | "para" | "list" | "item" | "other"
    line: int
    level: int = 0  # heading level
    inline: Token | None = None
    node: Node | None = None
    list_id: int = -1
    in_item: bool = False


def _open_item(tok: Token, line: int, stack: list[Node], list_id: int, ordered: bool, env: dict[str, Any]) -> Node:
    parent = stack[-1] if stack else None
    if parent is not None:
        parent.blocks += 1
    prefix = f"{tok.info}{tok.markup} " if ordered and tok.info else ""
    node = Node(line, tok.map[1] if tok.map else line, parent, list_id, prefix, env)
    if parent is not None:
        parent.children.append(node)
    stack.append(node)
    return node


def _paragraph(inline: Token | None, line: int, stack: list[Node], events: list[Event]) -> None:
    """A list item's first paragraph is its text; any other paragraph is an event of its own."""
    if not stack:
        events.append(Event("para", line, inline=inline))
        return
    top = stack[-1]
    if top.blocks == 0 and top.inline is None:
        top.inline = inline
    elif inline is not None:
        top.extra.append(inline)
        events.append(Event("para", line, inline=inline, node=top, in_item=True))
    top.blocks += 1


def structure(tokens: list[Token], env: dict[str, Any]) -> tuple[list[Event], list[Node]]:
    """Block events in file order, and the list items as a tree, from one token stream."""
    events: list[Event] = []
    nodes: list[Node] = []
    stack: list[Node] = []
    list_ids: list[int] = []
    ordered: list[bool] = []
    next_list = 0
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        t = tok.type
        line = tok.map[0] + 1 if tok.map else 0
        if t == "list_item_open":
            node = _open_item(tok, line, stack, list_ids[-1] if list_ids else -1, bool(ordered and ordered[-1]), env)
            nodes.append(node)
            events.append(Event("item", line, node=node, in_item=node.parent is not None))
        elif t == "list_item_close":
            if stack:
                stack.pop()
        elif t == "bullet_list_open" or t == "ordered_list_open":
            if stack:
                stack[-1].blocks += 1
            list_ids.append(next_list)
            ordered.append(t == "ordered_list_open")
            events.append(Event("list", line, list_id=next_list, in_item=bool(stack)))
            next_list += 1
        elif t == "bullet_list_close" or t == "ordered_list_close":
            if list_ids:
                list_ids.pop()
                ordered.pop()
        elif t == "paragraph_open" or t == "heading_open":
            inline = tokens[i + 1] if i + 1 < n and tokens[i + 1].type == "inline" else None
            if t == "paragraph_open":
                _paragraph(inline, line, stack, events)
            else:
                if stack:
                    stack[-1].blocks += 1
                events.append(Event("heading", line, level=int(tok.tag[1:] or 1), inline=inline, in_item=bool(stack)))
            i += 1
        elif tok.nesting >= 0 and t not in ("inline", "paragraph_close", "heading_close") and tok.map:
            if stack:
                stack[-1].blocks += 1
            if t != "blockquote_open":
                events.append(Event("other", line, in_item=bool(stack)))
        i += 1
    return events, nodes


# A bullet a reader sees at the start of a line that CommonMark did not read as a list
# item (a lazy continuation, or a makeshift `_` bullet): the marker and the text.
_VISIBLE_BULLET = re.compile(r"(?:[-*+•]|\d{1,3}[.)])[ \t]|_[ \t]?(?=[^\s_])|•")
_CLOSED = (".", "!", "?", ":", ";", ")")


def line_items(inline: Token, first: int, parent: Node | None, list_id: int, env: dict[str, Any]) -> list[Node]:
    """The source lines of a paragraph from line `first` on, read as the items a reader sees.

    A line is an item when it starts with a bullet a person would write
    (`-`, `*`, `_`, `1.`), indented any amount, or, with no bullet, when it
    starts a new sentence: a line in lower case after a line that does not end
    a sentence continues it (hard-wrapped text). Deeper indentation nests.
    """
    raw = inline.content.split("\n")
    base = inline.map[0] if inline.map else 0
    out: list[Node] = []
    stack: list[tuple[int, Node]] = []  # (indent, node) of the open items
    wrapped: list[list[str]] = []  # each item's lines: its first, then the lines that continue it
    for k in range(first, len(raw)):
        line = raw[k]
        text = line.lstrip(" \t")
        indent = len(line) - len(text)
        m = _VISIBLE_BULLET.match(text)
        if m is not None and text[0] == "_" and "_" in text[1:]:
            m = None  # `_emphasis_`, not a makeshift bullet
        if m is None and out and text[:1].islower() and not wrapped[-1][-1].rstrip().endswith(_CLOSED):
            wrapped[-1].append(text)  # joined once at the end: no quadratic concatenation
            continue
        body = text[m.end():].lstrip(" \t") if m else text
        while stack and stack[-1][0] >= indent:
            stack.pop()
        up = stack[-1][1] if stack else parent
        tok = Token("inline", "", 0)
        tok.content = body
        tok.map = [base + k, base + k + 1]
        node = Node(base + k + 1, base + k + 1, up, list_id, "", env, inline=tok, plain_line=m is None)
        if up is not None:
            up.children.append(node)
        stack.append((indent, node))
        out.append(node)
        wrapped.append([body])
    for node, parts in zip(out, wrapped, strict=True):
        if len(parts) > 1 and node.inline is not None and node.inline.map:
            node.inline.content = "\n".join(parts)
            node.inline.map[1] += len(parts) - 1
    return out
