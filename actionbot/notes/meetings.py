"""Dates and titles of the meetings a notes file holds.

A file is one meeting (front matter `title:`, a `Date: January 04, 2018` line,
a dated first heading, a dated file or folder name: `2024-05-02.md`,
`20240502.md`, `meetings/2024-05-02/index.md`) or a year of them, one dated
heading each (`## 2026-05-19`, `## 7 June 2022`, `## June 7th, 2022`). A
heading that gives only a month (`## 2022-06`, `## June 2022`) starts a
meeting dated to the month, `2022-06`: its items keep a date, so their
identity does not depend on the file's path. Labels such as
`meeting: 2018-01-04` need the ISO date.
"""

from __future__ import annotations

import re

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_MDY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE)
_YMD = re.compile(rf"\b(\d{{4}}),?\s+({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*[,:]?\s*\d{{4}})", re.IGNORECASE)
_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)
# A heading that is only a month ("## 2022-05", "## May 2022") starts a meeting too.
_MONTH_ONLY = re.compile(rf"^\s*(?:(\d{{4}})-(\d{{1,2}})|({_MONTH_RE})\.?\s+(\d{{4}}))\s*$", re.IGNORECASE)
FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
# The value runs to the end of its line, trailing spaces included (callers strip or
# search it): a lazy `(.+?)\s*$` retries the trailing `\s*` at every character,
# quadratic on a line with a long run of spaces, and a leading `\s` would let every
# blank line start a scan of all the blank lines after it.
_FM_TITLE = re.compile(r"^title\s*:\s*(\S[^\n]*)", re.MULTILINE | re.IGNORECASE)
DATE_LINE = re.compile(r"^[ \t*_>#-]*date[\s*_]*:[\s*_]*(\S[^\n]*)", re.IGNORECASE | re.MULTILINE)


def _iso(y: int, m: int, d: int) -> str | None:
    if 1900 <= y <= 2200 and 1 <= m <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{m:02d}-{d:02d}"
    return None


def find_date(text: str) -> str | None:
    """The first full date written in `text`, as YYYY-MM-DD."""
    if not any(c.isdigit() for c in text):
        return None
    best: tuple[int, str] | None = None
    m: re.Match[str] | None
    for m in _ISO.finditer(text):
        d = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            best = (m.start(), d)
            break
    for rx, order in ((_MDY, "mdy"), (_DMY, "dmy"), (_YMD, "ymd")):
        m = rx.search(text)
        if not m:
            continue
        if order == "mdy":
            d = _iso(int(m.group(3)), _MONTHS[m.group(1).casefold()], int(m.group(2)))
        elif order == "ymd":
            d = _iso(int(m.group(1)), _MONTHS[m.group(2).casefold()], int(m.group(3)))
        else:
            d = _iso(int(m.group(3)), _MONTHS[m.group(2).casefold()], int(m.group(1)))
        if d and (best is None or m.start() < best[0]):
            best = (m.start(), d)
    return best[1] if best else None


def month_of(text: str) -> str | None:
    """`YYYY-MM` for a heading that is only a month (`2022-06`, `June 2022`), else None."""
    m = _MONTH_ONLY.match(text)
    if m is None:
        return None
    year, month = (m.group(1), int(m.group(2))) if m.group(1) else (m.group(4), _MONTHS[m.group(3).casefold()])
    return f"{int(year):04d}-{month:02d}" if 1900 <= int(year) <= 2200 and 1 <= month <= 12 else None


# A date written without separators in a file name: "20220315.md".
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d\d)(\d\d)(\d\d)(?!\d)")


def date_of_path(path: str) -> str | None:
    """The date a file's name gives, else its folder's (`meetings/2024-05-02/index.md`)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p][-3:]
    for part in reversed(parts):
        found = find_date(part)
        if found is None:
            m = _COMPACT.search(part)
            found = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
        if found:
            return found
    return None


def front_matter(text: str) -> tuple[str | None, int]:
    """(title from the front matter, number of lines it spans)."""
    m = FRONT_MATTER.match(text)
    if not m:
        return None, 0
    t = _FM_TITLE.search(m.group(1))
    title = t.group(1).strip().strip("'\"") if t else None
    return title or None, m.group(0).count("\n") + (0 if m.group(0).endswith("\n") else 1)
