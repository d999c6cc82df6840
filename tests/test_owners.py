"""Owner notations (notes/owners.py), on lines of our own: who a careful reader says owns a task."""

from __future__ import annotations

import pytest

from actionbot.notes.owners import find_owners, names_only
from actionbot.notes.parse import parse_notes


@pytest.mark.parametrize(
    ("text", "owners"),
    [
        ("(@ines) Rotate the signing key", ["@ines"]),  # a parenthesis before the task
        ("Move the FAQ to the wiki (Ana and Li) so newcomers find it", ["Ana", "Li"]),  # mid-sentence
        ("Archive the bucket (Ines). Will wait for the audit first.", ["Ines"]),
        ("Finish the colour audit (KW) :tada:", ["KW"]),  # initials, then an emoji shortcode
        ("Refresh the docs theme for 2.0 (Bo after-2.0)", ["Bo"]),  # a name and a time
        ("Draft the sponsor list - Ana, Li & Bo", ["Ana", "Li", "Bo"]),  # a trailing dash list
        ("Draft the sponsor list -Ana", ["Ana"]),  # `-_Ana_` once emphasis is stripped
        ("Agree on the rota - Everyone", ["Everyone"]),  # groups own tasks too
        ("Collect reading material (everyone)", ["everyone"]),
        ("Kim https://github.com/org/site/issues/12 (help wanted)", ["Kim"]),  # a name before its reference
        ("Kim and Lou fixing the build scripts", ["Kim", "Lou"]),  # names and a participle
        ("@kim moving the board to the next milestone", ["@kim"]),
        ("Follow up on the grant (Dana can ping Omar)", ["Dana"]),  # a clause in the parenthesis
    ],
)
def test_owner_notations(text: str, owners: list[str]) -> None:
    assert list(find_owners(text).owners) == owners, text


@pytest.mark.parametrize(
    "text",
    [
        "We will send the board our report",  # the meeting itself
        "Anyone can join the call",
        "Host a webinar (thanks Omar) on onboarding",  # people thanked
        "Check the setup (Someone)",  # a placeholder
        "Reach out to the infra channel (@omar) about runners",  # whom to contact
        "Ping Dana about the invoices",
        "Check in with Omar on the budget",
        "For the spring release: announce the date",  # an occasion, not a group
        "Ask the Project Steering Committee (PSC) mid-sentence about it",  # an abbreviation
        "Port the tests to the new runner (TestRunner?)",  # CamelCase names software
        "Survey the donors -- Acme",  # a double dash separates prose
    ],
)
def test_not_owners(text: str) -> None:
    assert find_owners(text).owners == (), text


def test_the_trailing_owner_wins_over_a_contact_mid_sentence() -> None:
    own = find_owners("Reach out to the infra channel (@omar) and ask about runners (@dana)")
    assert own.owners == ("@dana",)


def test_hedged_names_are_tentative_and_a_helper_line_only_states_ownership() -> None:
    own = find_owners("Lou might help too!")
    assert own.owners == ("Lou",) and own.tentative == ("Lou",) and own.ownership_only
    assert find_owners("hopefully Kim will draft it").tentative == ("Kim",)


def test_an_owner_on_the_wrapped_continuation_line() -> None:
    notes = parse_notes("## Next steps\n\n- Write to the three sponsors about\n  the renewal dates (Lou)\n")
    assert notes.items[0].owners == ("Lou",)


def test_owners_only_lines() -> None:
    assert names_only("@dana will:", frozenset())
    assert names_only("Ana and Li to:", frozenset())
    assert not names_only("@dana will release:", frozenset())


def test_names_the_notes_list_are_known_in_any_case() -> None:
    notes = parse_notes(
        "### Attendees\n\nomar (@omar-k)\nDana Reyes\n\n"
        "### Next steps\n\n- Collect the quotes (omar)\n- Sort the receipts - dana\n"
    )
    assert [it.owners for it in notes.items] == [("omar",), ("dana",)]
    assert notes.people["omar"] == "omar-k"
