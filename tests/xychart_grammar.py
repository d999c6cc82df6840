"""A checker for mermaid's `xychart-beta` grammar, written from its jison file (lexer states and rules).

GitHub renders ```` ```mermaid ```` blocks with mermaid; a block its parser
refuses shows as an error box. The rules below are the lexer's (keywords are
matched anywhere outside a string, so `bar` inside an unquoted label is a
keyword; `-->` and numbers are axis data; a quote can not be escaped inside a
string) and the grammar's statements: `title`, `x-axis`, `y-axis`,
`bar`, `line`. `parse` returns what a renderer would draw, or raises
`GrammarError` where mermaid's parser would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NUMBER = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"
_ALNUM = re.compile(r"[A-Za-z0-9&+=*.#\-_]+")
_KEYWORDS = re.compile(r"(title|x-axis|y-axis|bar|line)\b", re.IGNORECASE)


class GrammarError(ValueError):
    pass


@dataclass
class Chart:
    horizontal: bool = False
    title: str = ""
    x_labels: list[str] = field(default_factory=list)
    x_range: tuple[float, float] | None = None
    y_title: str = ""
    y_range: tuple[float, float] | None = None
    bars: list[list[float]] = field(default_factory=list)
    lines: list[list[float]] = field(default_factory=list)


class _Cursor:
    def __init__(self, text: str, lineno: int):
        self.text, self.pos, self.lineno = text, 0, lineno

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def done(self) -> bool:
        self.skip()
        return self.pos >= len(self.text) or self.text[self.pos] == ";"

    def take(self, pattern: str) -> str | None:
        self.skip()
        m = re.compile(pattern).match(self.text, self.pos)
        if not m:
            return None
        self.pos = m.end()
        return m.group(0)

    def fail(self, what: str) -> GrammarError:
        return GrammarError(f"line {self.lineno}: expected {what} at {self.text[self.pos:]!r}")

    def text_token(self) -> str | None:
        """`text`: a "string" (no quote inside) or alphaNum tokens; keywords are never text."""
        self.skip()
        if self.text.startswith('"', self.pos):
            end = self.text.find('"', self.pos + 1)
            if end < 0:
                raise self.fail("a closing quote")
            value = self.text[self.pos + 1 : end]
            self.pos = end + 1
            return value
        words: list[str] = []
        while True:  # alphaNum: tokens joined, whitespace between them skipped
            self.skip()
            if _KEYWORDS.match(self.text, self.pos):
                break
            m = _ALNUM.match(self.text, self.pos)
            if not m or m.group(0).startswith("-->"):
                break
            words.append(m.group(0))
            self.pos = m.end()
        return "".join(words) or None


def _numbers(cur: _Cursor) -> list[float]:
    if cur.take(r"\[") is None:
        raise cur.fail("[")
    out: list[float] = []
    while True:
        num = cur.take(NUMBER)
        if num is None:
            raise cur.fail("a number")
        out.append(float(num))
        if cur.take(r",") is None:
            break
    if cur.take(r"\]") is None:
        raise cur.fail("]")
    return out


def _axis(cur: _Cursor, band: bool) -> tuple[str, list[str], tuple[float, float] | None]:
    title = ""
    # in axis data, a number is lexed before text
    if not re.compile(r"\s*" + NUMBER).match(cur.text, cur.pos) and not cur.text[cur.pos :].lstrip().startswith("["):
        t = cur.text_token()
        if t is None:
            raise cur.fail("an axis title, [labels] or a range")
        title = t
    labels: list[str] = []
    rng = None
    if cur.take(r"\[") is not None:
        if not band:
            raise cur.fail("a range (the y axis takes no labels)")
        while True:
            t = cur.text_token()
            if t is None:
                raise cur.fail("a label (quote labels that are not plain words)")
            labels.append(t)
            if cur.take(r",") is None:
                break
        if cur.take(r"\]") is None:
            raise cur.fail("]")
    elif not cur.done():
        lo = cur.take(NUMBER)
        arrow = cur.take(r"-->")
        hi = cur.take(NUMBER)
        if lo is None or arrow is None or hi is None:
            raise cur.fail("min --> max")
        rng = (float(lo), float(hi))
    return title, labels, rng


def parse(source: str) -> Chart:
    """The chart a mermaid `xychart-beta` source describes; GrammarError where mermaid fails."""
    chart = Chart()
    started = False
    for lineno, raw in enumerate(source.split("\n"), 1):
        line = re.sub(r"%%.*$", "", raw)
        if not line.strip():
            continue
        cur = _Cursor(line, lineno)
        if not started:
            head = cur.take(r"xychart(?:-beta)?\b")
            if head is None:
                raise cur.fail("xychart-beta")
            orient = cur.take(r"(?:vertical|horizontal)\b")
            chart.horizontal = orient == "horizontal"
            started = True
        else:
            keyword = cur.take(r"(?:title|x-axis|y-axis|bar|line)\b")
            if keyword is None:
                raise cur.fail("title, x-axis, y-axis, bar or line")
            if keyword == "title":
                t = cur.text_token()
                if t is None:
                    raise cur.fail("a title")
                chart.title = t
            elif keyword == "x-axis":
                _, chart.x_labels, chart.x_range = _axis(cur, band=True)
            elif keyword == "y-axis":
                chart.y_title, _, chart.y_range = _axis(cur, band=False)
            else:
                if not cur.text[cur.pos :].lstrip().startswith("["):
                    cur.text_token()  # an optional series name
                (chart.bars if keyword == "bar" else chart.lines).append(_numbers(cur))
        if not cur.done():
            raise cur.fail("the end of the line")
    if not started:
        raise GrammarError("no xychart-beta header")
    return chart
