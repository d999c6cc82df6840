"""Action labels and where their items are (notes/labels.py, notes/sections.py), on notes of our own."""

from __future__ import annotations

import pytest

from actionbot.notes.labels import is_review, match_label
from actionbot.notes.model import Notes
from actionbot.notes.parse import parse_notes


def parse(text: str) -> Notes:
    return parse_notes(text, repo="org/notes")


def items(notes: Notes) -> list[tuple[int, str, int | None]]:
    return [(it.line, it.text, it.parent) for it in notes.items if it.source == "section"]


@pytest.mark.parametrize(
    ("line", "phrase"),
    [
        ("Sprint TODOs:", "todo"),  # a qualifier before the phrase
        ("retro action items:", "action items"),
        ("**Agreed next steps**:", "next steps"),
        ("## TODOs:", "todo"),  # the plural of a phrase, a heading ending in ':'
        ("# Action items", "action items"),  # a level-1 heading
    ],
)
def test_qualifiers_before_the_phrase_plurals_and_heading_forms(line: str, phrase: str) -> None:
    label = match_label(line.lstrip("#* ").replace("**", ""))
    assert label is not None and label.phrase == phrase, line
    notes = parse(f"{line}\n\n- Rotate the signing key\n")
    assert [it.text for it in notes.items] == ["Rotate the signing key"], line


@pytest.mark.parametrize(
    "line",
    ["Discuss next steps", "Possible action items", "Old TODOs", "Recently completed action items",
     "Actioned todo before Friday", "Next steps are to ask the board", "## Followup", "## Follow-Up Discussion",
     "Action items: someone will", "### Next steps (Ana, 15 min)", "- Action items tracking in GitHub"],
)
def test_not_labels(line: str) -> None:
    notes = parse(f"{line}\n\n- Rotate the signing key\n")
    assert notes.sections == () and [it for it in notes.items if it.source == "section"] == [], line


def test_a_label_may_name_its_owner_after_the_colon() -> None:
    label = match_label("Action items: @ines will")
    assert label is not None and label.owner == "@ines"
    notes = parse("**Action items:** @ines will:\n\n- Rotate the signing key\n- Archive the old bucket\n")
    assert [(it.text, it.owners) for it in notes.items] == [
        ("Rotate the signing key", ("@ines",)), ("Archive the old bucket", ("@ines",))]
    # a task after the colon is an inline action, not a label
    assert match_label("Action items: @ines will archive the bucket") is None


@pytest.mark.parametrize(
    "line",
    ["### Previous action items", "TODO items from last meeting:", "**Action Items Completed:**",
     "### Follow-up from the previous meeting"],
)
def test_reviews_of_earlier_actions_open_nothing(line: str) -> None:
    assert is_review(line.strip("#* :"))
    notes = parse(f"{line}\n\n- Rotate the signing key\n- TODO: archive the bucket\n")
    assert notes.items == (), line


def test_a_label_line_inside_a_paragraph_takes_the_lines_after_it() -> None:
    notes = parse(
        "We went through the budget and agreed on the plan.\n"
        "Next steps:\n"
        "Ines to rotate the signing key\n"
        "Book the venue for March\n"
    )
    assert [s.line for s in notes.sections] == [2]
    assert items(notes) == [(3, "Ines to rotate the signing key", None), (4, "Book the venue for March", None)]
    assert notes.items[0].owners == ("Ines",)


def test_a_label_then_a_block_of_plain_lines_instead_of_a_list() -> None:
    notes = parse("Next steps:\n\nRotate the signing key and\nthe deploy token\nBook the venue\n\nLater prose.\n")
    # a line going on in lower case continues the line before it (hard-wrapped text)
    assert items(notes) == [(3, "Rotate the signing key and", None), (5, "Book the venue", None)]
    assert notes.items[0].end_line == 4


def test_one_line_of_prose_under_a_heading_label_is_not_an_item() -> None:
    notes = parse("## Follow-ups\n\nEverything here was already filed as issues.\n")
    assert notes.items == ()
    notes = parse("## Follow-ups\n\nRotate the signing key\nBook the venue\n")
    assert [it.text for it in notes.items] == ["Rotate the signing key", "Book the venue"]


def test_bullets_commonmark_misses_are_items_and_nest_by_indentation() -> None:
    # five-space bullets after a paragraph line are lazy continuation text to CommonMark
    notes = parse(
        " Next steps\n"
        "     * draft the grant overview\n"
        "         * add the budget table\n"
        "     * ask for a bigger CI plan\n"
    )
    assert items(notes) == [
        (2, "draft the grant overview", None), (3, "add the budget table", 0), (4, "ask for a bigger CI plan", None)]


def test_makeshift_underscore_bullets_under_a_list_item_label() -> None:
    notes = parse("- Notes from the demo\n- Next steps:\n  _speed up the importer\n  _ write the import docs\n")
    assert [it.text for it in notes.items] == ["speed up the importer", "write the import docs"]
    assert all(it.opens_issue for it in notes.items)
    # `_emphasis_` at the start of a line is no bullet
    notes = parse("Next steps:\n_Nothing_ was decided\n")
    assert [it.text for it in notes.items] == ["Nothing was decided"]


def test_a_list_item_label_mid_list_takes_the_items_after_it() -> None:
    notes = parse("- The importer is slow\n- **Concrete next steps**:\n- Speed up the importer\n- Write the docs\n")
    assert [it.text for it in notes.items] == ["Speed up the importer", "Write the docs"]


def test_an_agenda_task_inside_a_bare_actions_heading_keeps_it_a_section() -> None:
    notes = parse("## Actions\n\n- Ines: rotate the key\n- All: add topics to next week's agenda\n")
    assert [s.heading for s in notes.sections] == ["Actions"]
    assert [it.owners for it in notes.items] == [("Ines",), ("All",)]
    # a list item that names the agenda, as a heading would, makes it a container
    notes = parse("## Actions\n\n1. Agenda items for the next call\n   - Ines: rotate the key\n")
    assert notes.sections == ()
