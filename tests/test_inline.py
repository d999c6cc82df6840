"""Action markers outside every section (notes/inline.py), on lines of our own."""

from __future__ import annotations

import pytest

from actionbot.notes.parse import parse_notes


def inline(text: str) -> list[tuple[int, str, tuple[str, ...]]]:
    notes = parse_notes(text, repo="org/notes")
    return [(it.line, it.text, it.owners) for it in notes.items if it.source == "inline"]


@pytest.mark.parametrize(
    ("line", "owners"),
    [
        ("- [ACTION] Kim to book the venue", ("Kim",)),  # a bracket marker, kept in the text
        ("- TODOs: rotate the signing key", ()),  # plural
        ("- todo: rotate the signing key", ()),  # other cases
        ("- Action items: @kim will book the venue", ("@kim",)),
        ("- Next steps: Lou drafts the post", ("Lou",)),
        ("- TODO(lou): rotate the signing key", ("lou",)),  # the owner in the marker
        ("- Action (who?): rotate the signing key", ()),
    ],
)
def test_marker_forms(line: str, owners: tuple[str, ...]) -> None:
    assert inline(f"## Discussion\n\n{line}\n") == [(3, line[2:], owners)]


def test_a_marker_starting_a_source_line_inside_a_hard_wrapped_item() -> None:
    text = "## Website\n\n- We looked at the generator and it is slow,\n  TODO: switch the menus to a data file\n"
    assert inline(text) == [(4, "TODO: switch the menus to a data file", ())]


@pytest.mark.parametrize(
    "line",
    [
        "- Release went out today! [ACTION] kim",  # after other text
        "- We said the TODO: list is long",  # mid-sentence
        "- [FOLLOWUP] the venue",  # not a marker
        "- AI: could summarise the notes",  # artificial intelligence
        "- Action items: none",  # an outcome, no task
        "- TODO: done",
    ],
)
def test_not_markers(line: str) -> None:
    assert inline(f"## Discussion\n\n{line}\n") == [], line


def test_a_marker_after_other_text_is_reported_unsure() -> None:
    notes = parse_notes("## Discussion\n\n- Release went out today! [ACTION] kim\n", path="n.md")
    assert [it for it in notes.items if it.source == "inline"] == []
    assert [(u.line, u.text) for u in notes.unsure] == [(3, "Release went out today! [ACTION] kim")]
