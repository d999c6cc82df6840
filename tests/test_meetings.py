"""Meeting dates (notes/meetings.py): every common way a date or a month heads a meeting."""

from __future__ import annotations

import pytest

from actionbot.notes.meetings import date_of_path, find_date, month_of
from actionbot.notes.parse import parse_notes


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2031-4-9", "2031-04-09"),
        ("9 April 2031", "2031-04-09"),
        ("April 9th, 2031", "2031-04-09"),
        ("Design sync - Apr 9, 2031", "2031-04-09"),
        ("2031/04/09 retro", "2031-04-09"),
    ],
)
def test_date_forms(text: str, date: str) -> None:
    assert find_date(text) == date


@pytest.mark.parametrize(("text", "month"), [("2031-04", "2031-04"), ("April 2031", "2031-04"), ("Apr. 2031", "2031-04")])
def test_month_only_headings_keep_month_precision(text: str, month: str) -> None:
    assert month_of(text) == month
    assert find_date(text) is None


def test_a_yearly_file_headed_by_months() -> None:
    notes = parse_notes(
        "# 2031 platform meetings\n\n## 2031-05\n\n### TODO\n\n- Rotate the keys\n\n## April 2031\n\n### TODO\n\n- Book the room\n",
        path="meetings/platform/2031.md",
    )
    assert [(m.title, m.date) for m in notes.meetings] == [("2031-05", "2031-05"), ("April 2031", "2031-04")]
    assert [(it.text, notes.meetings[it.meeting].date) for it in notes.items if it.meeting is not None] == [
        ("Rotate the keys", "2031-05"), ("Book the room", "2031-04")]


@pytest.mark.parametrize(
    ("path", "date"),
    [
        ("meetings/2031-04-09/index.md", "2031-04-09"),  # a dated folder dates its file
        ("minutes/2031/20310409.md", "2031-04-09"),  # a date without separators
        ("notes/2031-04-09-retro.md", "2031-04-09"),
        ("notes/retro.md", None),
        ("notes/2031/12345678.md", None),  # not a date
    ],
)
def test_dates_from_file_and_folder_names(path: str, date: str | None) -> None:
    assert date_of_path(path) == date
    assert parse_notes("# Retro\n\n- nothing\n", path=path).meetings[0].date == date
