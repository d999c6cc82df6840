"""Which section items are tasks, done, or only detail (notes/tasks.py), on notes of our own."""

from __future__ import annotations

from actionbot.notes.model import Notes
from actionbot.notes.parse import parse_notes


def parse(body: str) -> Notes:
    return parse_notes("## Next steps\n\n" + body, repo="org/notes")


def opened(notes: Notes) -> list[str]:
    return [it.text for it in notes.items if it.opens_issue]


def test_a_checklist_under_a_task_is_tasks_of_its_own() -> None:
    notes = parse("- [ ] Improve the install guide (@ines)\n  - [ ] Say how much disk it needs\n  - [ ] add a screenshot\n")
    assert opened(notes) == ["Improve the install guide (@ines)", "Say how much disk it needs", "add a screenshot"]
    assert [it.owners for it in notes.items] == [("@ines",), (), ()]


def test_imperative_sub_items_are_tasks_but_an_enumeration_details_its_parent() -> None:
    notes = parse("- Improve the release checklist\n  - review which steps can be scripted\n  - when to tag?\n")
    assert opened(notes) == ["Improve the release checklist", "review which steps can be scripted"]
    notes = parse("- List the accounts we pay for\n  - Read the docs\n  - PyPI\n  - Netlify\n")
    assert opened(notes) == ["List the accounts we pay for"]
    notes = parse("- Update the keys of:\n  - Read the docs\n  - PyPI\n")
    assert opened(notes) == ["Update the keys of:"]


def test_an_owner_only_parent_hands_its_owner_to_its_sub_items() -> None:
    notes = parse("- @dana will:\n  - Cut the 4.0 release\n  - Update the download page\n")
    assert [(it.text, it.owners, it.opens_issue) for it in notes.items] == [
        ("@dana will:", ("@dana",), False),
        ("Cut the 4.0 release", ("@dana",), True),
        ("Update the download page", ("@dana",), True),
    ]


def test_a_gerund_over_a_checklist_and_a_question_with_answers_are_topics() -> None:
    notes = parse("- [ ] Moving the docs to the new host\n  - [ ] Export the pages (Kim)\n  - [ ] Redirect the old URLs (Lou)\n")
    assert opened(notes) == ["Export the pages (Kim)", "Redirect the old URLs (Lou)"]
    notes = parse("- Who runs the next retro?\n  - Kim will run it\n")
    assert opened(notes) == ["Kim will run it"]


def test_a_topic_whose_tasks_are_all_checked_is_the_open_task() -> None:
    notes = parse("- [ ] Changes to our sprint board\n  - [x] Drop the backlog column\n")
    assert opened(notes) == ["Changes to our sprint board"]


def test_under_a_checked_item_only_an_open_checkbox_is_still_to_do() -> None:
    notes = parse("- [x] Update the signing process\n  - Document the new steps\n  - [ ] Tell the packagers\n")
    assert opened(notes) == ["Tell the packagers"]


def test_a_hedged_helper_line_only_states_ownership() -> None:
    notes = parse("- Kim and Lou reworking the menus\n  - Bo might help too!\n")
    assert [(it.owners, it.tentative_owners, it.opens_issue) for it in notes.items] == [
        (("Kim", "Lou"), (), True), (("Bo",), ("Bo",), False)]


def test_done_waiting_and_status_lines_open_nothing() -> None:
    notes = parse(
        "- ~~Rename the chat channel~~\n"
        "- Add the logo to the site (issue opened: #44)\n"
        "- Waiting for the legal review before we publish\n"
        "- Merged the CI fix last week\n"
        "- Update: the mirror is back\n"
        "- Rotate the signing key\n"
    )
    assert opened(notes) == ["Rotate the signing key"]
    assert [it.done for it in notes.items][:2] == [True, True]


def test_alternatives_under_a_task_are_not_tasks() -> None:
    notes = parse("- Pick a chat platform\n  - Option A: Matrix\n  - or keep the mailing list\n")
    assert opened(notes) == ["Pick a chat platform"]


def test_a_plain_line_that_reads_as_no_task_is_reported_unsure() -> None:
    notes = parse_notes("Next steps:\n\nBook the venue\nBudget looks fine overall\n", path="n.md")
    assert opened(notes) == ["Book the venue"]
    assert [(u.line, u.text) for u in notes.unsure] == [(4, "Budget looks fine overall")]
