"""Reading review sections: which headings review earlier actions, each line's mark, its references."""

from __future__ import annotations

import pytest

from actionbot.core.config import ConfigError, MeetingIssues, Reminders, load_config
from actionbot.notes.parse import parse_notes
from actionbot.notes.review import DONE, DROPPED, UNMARKED, is_review_label, mark_of, review_items

NOTES = """\
# Infrastructure call 2025-06-09

Attendees: Ana, Bo, Carol

## Review of previous action items

- [x] Draft the 3.0 roadmap post (@ana-dev) #12 · 2025-05-12 · 3 weeks
- Move the CI to the new runners - dropped
- Ana:
  - Update the governance doc #9
  - ~~Collect the sprint photos~~
- Find a venue for the sprint (Carol) **DONE**
- Ask the foundation about the budget (won't do)
- Write the onboarding guide, see https://github.com/octo-org/notes/issues/31

## Discussion

- Investigate the dropped connections on the build farm

## Action items

- [ ] Carol: book the room for the sprint
"""


def test_review_lines_with_marks_text_and_references() -> None:
    notes = parse_notes(NOTES, path="docs/meetings/2025-06-09.md", repo="octo-org/notes")
    found = review_items(NOTES, notes.meetings, repo="octo-org/notes")
    assert [(i.line, i.mark, i.refs) for i in found] == [
        (7, DONE, ("octo-org/notes#12",)),
        (8, DROPPED, ()),
        (10, UNMARKED, ("octo-org/notes#9",)),  # under "Ana:", which only groups
        (11, DONE, ()),
        (12, DONE, ()),
        (13, DROPPED, ()),
        (14, UNMARKED, ("octo-org/notes#31",)),
    ]
    assert found[0].text.startswith("Draft the 3.0 roadmap post") and found[0].heading == "Review of previous action items"
    assert {notes.meetings[i.meeting].date for i in found if i.meeting is not None} == {"2025-06-09"}
    # the action-item reader still skips the review section, and reads the new actions
    assert [it.text for it in notes.items] == ["Carol: book the room for the sprint"]


@pytest.mark.parametrize(
    "label",
    ["Previous action items", "Review of previous action items", "TODO items from last meeting",
     "Action items from the previous meeting", "Last week's action items", "Review of the past action items:"],
)  # fmt: skip
def test_review_labels(label: str) -> None:
    assert is_review_label(label)


@pytest.mark.parametrize("label", ["Action items", "Next steps", "Previous releases", "Review of the budget"])
def test_not_review_labels(label: str) -> None:
    assert not is_review_label(label)


def test_configured_phrases_add_review_sections() -> None:
    text = "# 2025-06-09\n\n### Status of open items\n\n- Write the guide #4 (done)\n"
    assert review_items(text, repo="o/r") == ()
    (item,) = review_items(text, repo="o/r", phrases=["status of open items"])
    assert item.mark == DONE and item.refs == ("o/r#4",)


@pytest.mark.parametrize(
    ("line", "mark"),
    [
        ("[x] Do the thing", DONE), ("[ ] Do the thing", UNMARKED), ("Do the thing DONE", DONE),
        ("COMPLETED: do the thing", DONE), ("Do the thing (done)", DONE), ("Done: do the thing", DONE),
        ("Do the thing - done.", DONE), ("Do the thing ✅", DONE), ("Do the thing [done]", DONE),
        ("Do the thing (dropped)", DROPPED), ("Do the thing: wontfix", DROPPED), ("Do the thing - not planned", DROPPED),
        ("[x] Do the thing - won't do", DROPPED), ("Do the thing — DROPPED", DROPPED),
        ("Investigate the dropped connections", UNMARKED), ("Get the release done by Friday", UNMARKED),
        ("Decide what is not planned for 3.0", UNMARKED),
    ],
)  # fmt: skip
def test_marks_only_where_people_put_them(line: str, mark: str) -> None:
    assert mark_of(line, line) == mark


def test_struck_and_bold_marks_are_read_from_the_markdown() -> None:
    assert mark_of("Collect the photos", "~~Collect the photos~~") == DONE
    assert mark_of("Collect the photos done", "Collect the photos **done**") == DONE
    assert mark_of("Collect the photos", "Collect the ~~old~~ photos") == UNMARKED


def test_a_label_standing_alone_and_a_list_item_label() -> None:
    text = (
        "# Team sync 2025-06-09\n\nPrevious action items:\n\n- [x] Fix the docs #3\n- Ship it #4\n\n"
        "Other things\n\n- not reviewed #5\n\n"
        "- TODO items from last meeting\n  - [x] Renew the domain #6\n"
    )
    found = review_items(text, repo="o/r")
    assert [(i.refs, i.mark) for i in found] == [(("o/r#3",), DONE), (("o/r#4",), UNMARKED), (("o/r#6",), DONE)]


def test_files_without_review_sections_are_not_tokenised_again() -> None:
    assert review_items("# Notes\n\n## Action items\n\n- do it\n") == ()


def test_configuration_of_meetings_reviews_and_reminders() -> None:
    config = load_config(
        'meeting_issues:\n  labels: ["meeting", "agenda"]\n  title: "*sync*"\n'
        "reminders: {after_days: 10}\nreview_sections: [Status of open items]\non_review: comment\n"
    )
    assert config.meeting_issues == MeetingIssues(("meeting", "agenda"), "*sync*")
    assert config.meeting_issues.matches("Weekly SYNC 2025-06-09", ())
    assert config.meeting_issues.matches("Anything", ("Agenda",)) and not config.meeting_issues.matches("Bug", ("bug",))
    assert config.reminders == Reminders(10, 20)
    assert config.review_sections == ("Status of open items",) and config.on_review == "comment"
    defaults = load_config(None)
    assert defaults.meeting_issues is None and defaults.reminders is None and defaults.on_review == "close"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("dashboard: true\nreminders:\n  after: 3\n", 3, "did you mean `after_days`"),
        ("meeting_issues:\n  labels: [meeting]\n  title: 5\n", 3, "must be a glob"),
        ("on_review: maybe\n", 1, "close, comment, ignore"),
        ("reminders: {after_days: 0}\n", 1, "at least 1"),
        ("meeting_issues: [meeting]\n", 1, "must be a mapping"),
    ],
)
def test_configuration_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(text)
    assert err.value.line == line and words in err.value.message
