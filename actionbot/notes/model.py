"""Data that crosses module lines: what the notes say, as plain frozen values.

The parser (`parse.py`) produces these; the core (`actionbot.core`) and the
CLI read them. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Meeting:
    """One meeting inside a notes file (a yearly file holds many)."""

    title: str | None
    date: str | None  # ISO "YYYY-MM-DD" when known; "YYYY-MM" for a meeting headed by a month only
    line: int  # 1-based line where the meeting starts


@dataclass(frozen=True)
class Section:
    """An actions section label ("V. Next actions (team)") and where it is."""

    heading: str
    line: int


@dataclass(frozen=True)
class Item:
    """One action item, as a careful reader finds it in the notes."""

    text: str  # first source line as plain text (owner parentheses kept)
    line: int  # 1-based first line in the file
    owners: tuple[str, ...] = ()  # as written, tentative ones included, no "?"
    tentative_owners: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()  # normalised "owner/repo#N", in order of appearance
    parent: int | None = None  # index into Notes.items
    done: bool = False
    opens_issue: bool = True  # a task of its own and not done
    source: str = "section"  # "section" | "inline"
    section: str | None = None  # label of the section it is in
    meeting: int | None = None  # index into Notes.meetings
    body: str = ""  # the item's whole text (wrapped lines joined), plain text
    end_line: int = 0  # last source line of the item's own text


@dataclass(frozen=True)
class Problem:
    """Something the reader of the notes should fix (shown in check runs)."""

    path: str
    line: int | None
    message: str


@dataclass(frozen=True)
class Unsure:
    """A line that might be a task but was not read as one: shown, never opened.

    A wrong issue costs a team more than a missed one that the preview lists, so
    where the reading rules cannot tell, the line is reported with the reason and
    the fix is left to a person (a `TODO:` marker or a list bullet makes it a task).
    """

    path: str
    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class Notes:
    """Everything found in one notes file."""

    path: str
    meetings: tuple[Meeting, ...] = ()
    sections: tuple[Section, ...] = ()
    items: tuple[Item, ...] = ()
    # Roster found in the notes themselves (check-in lines "Name / @handle / org").
    people: dict[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    unsure: tuple[Unsure, ...] = ()


class InputError(Exception):
    """Bad input a user can fix: names the file, the line where there is one, and the fix."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class TooLarge(InputError):
    """Notes past a reading limit (lines, action items): not read at all, not even in part.

    A part would make the items past the cut look removed from the notes, and the
    planner would comment on or close their issues.
    """

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str, int | None]]:
        # raised in a worker process and re-raised in the caller: pickled by its fields
        return (type(self), (self.path, self.message, self.line))
