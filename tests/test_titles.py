"""Issue titles: the task as a maintainer would type it, one rule at a time, and the plan
that carries a changed title to an existing issue."""

from __future__ import annotations

import pytest

from actionbot.core import render
from actionbot.core.config import Config
from actionbot.core.desired import NotesContext, desired_issues, scope_of
from actionbot.core.existing import ExistingIssue
from actionbot.core.operations import CreateIssue, UpdateIssue
from actionbot.core.plan import plan
from actionbot.core.titles import ELLIPSIS, TITLE_MAX, capitalise, cut_title, issue_title, starts_with_code
from actionbot.notes.model import Item, Meeting, Notes

# ---------------------------------------------------------------- owners


@pytest.mark.parametrize(
    "text, owners, title",
    [
        # `Name to X` / `Name will X` / `Name should X` read `X`, capitalised.
        ("Priya to book the venue for the spring sprint", ["Priya"], "Book the venue for the spring sprint"),
        ("Priya will book the venue", ["Priya"], "Book the venue"),
        ("Priya should book the venue", ["Priya"], "Book the venue"),
        ("Priya is going to book the venue", ["Priya"], "Book the venue"),
        ("@priya-k will book the venue", ["@priya-k"], "Book the venue"),
        ("Priya / Tomas to pick a date", ["Priya", "Tomas"], "Pick a date"),
        ("Priya, Tomas and Ines to pick a date", ["Priya", "Tomas", "Ines"], "Pick a date"),
        ("Priya? to pick a date", ["Priya"], "Pick a date"),
        ("Priya writes the announcement", ["Priya"], "Write the announcement"),
        # `Name:` prefix, the marker behind it too.
        ("Oksana: release 1.4", ["Oksana"], "Release 1.4"),
        ("@jdoe-dev: update the docs", ["@jdoe-dev"], "Update the docs"),
        ("Oksana: TODO: release 1.4", ["Oksana"], "Release 1.4"),
        # Parentheses naming owners, wherever they are; other parentheses stay.
        ("WidgetConf Lisbon (Tiago, Lucie?)", ["Tiago", "Lucie"], "WidgetConf Lisbon"),
        ("Turn #12 into a checklist (Mara and Teo) so we see progress", ["Mara", "Teo"],
         "Turn #12 into a checklist so we see progress"),
        ("(@kwame) Make the release branch", ["@kwame"], "Make the release branch"),
        ("Start a PR to fix this (Rollo will)", ["Rollo"], "Start a PR to fix this"),
        ("Agree on a release cadence (e.g. no Friday releases)", [], "Agree on a release cadence (e.g. no Friday releases)"),
        ("Track the flaky test (open an issue) (Hana)", ["Hana"], "Track the flaky test (open an issue)"),
        # Trailing owner lists after a dash or a comma, HackMD's [name=].
        ("Meet the infra team to plan the move - Xavi, Rocco", ["Xavi", "Rocco"], "Meet the infra team to plan the move"),
        ("Meet the infra team -Xavi", ["Xavi"], "Meet the infra team"),
        ("Plan the sprint [name=Teodor]", ["Teodor"], "Plan the sprint"),
        ("[name=Teodor] Will check the mirror", ["Teodor"], "Check the mirror"),
        # Clauses that only say who owns what go; the task after them stays.
        ("Yara owns this, Bo is helping, Yara will report back on Friday", ["Yara", "Bo"], "Report back on Friday"),
        ("If the budget allows, Kim to order the new laptops", ["Kim"], "If the budget allows, order the new laptops"),
        ("Mara and Teo working on the settings page", ["Mara", "Teo"], "Work on the settings page"),
        ("Mara acme/site#261 (help wanted!)", ["Mara"], "acme/site#261 (help wanted!)"),
        ("Film the demo (not while driving, Glenn)", ["Glenn"], "Film the demo"),
        # A name that is not an owner stays where it is.
        ("Sync with Hauwa about the grant", ["Sara"], "Sync with Hauwa about the grant"),
    ],
)
def test_title_drops_the_owner_notation(text: str, owners: list[str], title: str) -> None:
    assert issue_title(text, owners) == title


def test_an_item_that_only_names_its_owner_is_titled_by_its_parts() -> None:
    title = issue_title("@kim will:", ["@kim"], parts=["Cut the 2.1 release", "Post the release notes"])
    assert title == "Cut the 2.1 release; Post the release notes"
    assert issue_title("@kim will:", ["@kim"]) == "Action item"


# ---------------------------------------------------------------- markers, markup, links


@pytest.mark.parametrize(
    "text, title",
    [
        ("TODO: rotate the deploy key", "Rotate the deploy key"),
        ("[ACTION] rotate the deploy key", "Rotate the deploy key"),
        ("Action items: rotate the deploy key", "Rotate the deploy key"),
        ("[ ] rotate the deploy key", "Rotate the deploy key"),
        ("[x] TODO: rotate the deploy key", "Rotate the deploy key"),
        ("WIP: rotate the deploy key", "Rotate the deploy key"),
        ("Rotate the deploy key (done)", "Rotate the deploy key"),
        ("Rotate the deploy key :key: :tada:", "Rotate the deploy key"),
        ("**Ship** the ~~old~~ fix now", "Ship the old fix now"),
        ("Tidy   the\n  wiki", "Tidy the wiki"),
        ("Read the [style guide](https://example.org/style) first", "Read the style guide first"),
    ],
)
def test_title_drops_markers_checkboxes_status_and_markup(text: str, title: str) -> None:
    assert issue_title(text) == title


def test_issue_urls_become_references_and_other_urls_go() -> None:
    text = "Review https://github.com/acme/widgets/pull/42 and https://github.com/acme/notes/issues/7"
    assert issue_title(text, repo="acme/notes") == "Review acme/widgets#42 and #7"
    assert issue_title("Add the logo to the site in https://example.org/brand/", repo="acme/notes") == "Add the logo to the site"
    assert issue_title("https://example.org/cfp should we submit a talk?") == "Should we submit a talk?"
    assert "http" not in issue_title("See https://example.org/x, then fix www.example.org/y")


# ---------------------------------------------------------------- shape


def test_first_letter_upper_case_unless_code() -> None:
    assert issue_title("update the roadmap") == "Update the roadmap"
    for code in ("n_features_in_ needs a deprecation", "README.md needs a badge", "`pip` pin for docs", "acme/site#3 follow-up", "iOS build"):
        assert issue_title(code) == code
        assert starts_with_code(code)
    assert capitalise("walkthrough/verify the docs") == "Walkthrough/verify the docs"


def test_no_trailing_colon_and_a_list_label_sentence_goes() -> None:
    assert issue_title("Plan the blog posts for the spring:") == "Plan the blog posts for the spring"
    assert issue_title("Improve the issue template. Proposed additions:") == "Improve the issue template"
    assert issue_title("Check the mirrors.") == "Check the mirrors"
    assert issue_title("Ask about the venue...") == "Ask about the venue"


def test_long_titles_are_cut_where_a_clause_ends() -> None:
    sentence = "Write the migration guide for the plugin API. Then ask the three largest plugins to test it before the beta"
    assert issue_title(sentence) == "Write the migration guide for the plugin API"
    clause = "Move the weekly call to Thursdays, starting next month, so that the people in Asia can join it more easily"
    assert issue_title(clause) == "Move the weekly call to Thursdays, starting next month"
    dash = "Dependency audit for the desktop app before the next release - the list is in the wiki page of the team"
    assert issue_title(dash) == "Dependency audit for the desktop app before the next release"
    then = "Reproduce the crash on the oldest supported Android version with the debug build and then write it up"
    assert issue_title(then) == "Reproduce the crash on the oldest supported Android version with the debug build"


def test_a_cut_never_splits_a_word_an_abbreviation_or_a_parenthesis() -> None:
    text = "Collect the numbers for the report (downloads, stars, issues closed, contributors) from the dashboards of every project"
    assert cut_title("Collect the numbers (downloads, stars, issues closed, contributors, forks, dependants, reviews) now") == "Collect the numbers now"
    title = issue_title(text)
    assert title == "Collect the numbers for the report from the dashboards of every project"  # the aside goes first
    abbreviated = "Ask the sponsors, e.g. the two universities and the foundation, about the travel grants for the sprint"
    assert not issue_title(abbreviated).endswith(("e.g", "e.g."))
    plural = "Look at the proposals for notebooks and themes and dashboards, and decide which of them the team takes on"
    assert issue_title(plural) == "Look at the proposals for notebooks and themes and dashboards"


def test_a_cut_leaves_no_dangling_word() -> None:
    so = "Record a short screencast of the installer on the oldest laptop we have so that new contributors see it work"
    assert issue_title(so) == "Record a short screencast of the installer on the oldest laptop we have"
    want = "Say at the start of the contributing guide why a newcomer would want to build the docs locally"
    assert not issue_title(want).endswith(("want", "would want"))


def test_an_ellipsis_only_when_no_clause_ends_in_the_first_80_characters() -> None:
    words = " ".join(["widget"] * 30)
    cut = cut_title(words)
    assert len(cut) <= TITLE_MAX and cut.endswith(ELLIPSIS)
    assert cut[:-1].split(" ")[-1] == "widget"  # no half word
    exact = "x" * TITLE_MAX
    assert cut_title(exact) == exact
    assert not issue_title("Write the migration guide for the plugin API. " + words).endswith(ELLIPSIS)


def test_hostile_text_gives_a_bounded_title() -> None:
    for text in ("(" * 50_000, " ," * 50_000, "a, " * 30_000 + "Kim to go", "Kim " * 20_000, "https://" * 10_000):
        title = issue_title(text, ["Kim", "Bo"])
        assert len(title) <= TITLE_MAX + 1


# ---------------------------------------------------------------- the plan


CTX = NotesContext("acme/notes", "https://github.com/acme/notes", "c1", "meetings/2024-03-07.md")
NOTES = Notes(
    path=CTX.path,
    meetings=(Meeting("Team call", "2024-03-07", 1),),
    items=(Item(text="Priya to book the venue for the sprint", line=5, owners=("Priya",), meeting=0),),
)


def test_the_desired_issue_has_the_clean_title_and_the_body_keeps_the_line() -> None:
    [d] = desired_issues(NOTES, Config(), CTX)
    assert d.title == "Book the venue for the sprint"
    [create] = [op for op in plan([d], [], Config(), tracking_repo="acme/notes").ops if isinstance(op, CreateIssue)]
    assert create.title == d.title
    assert "> Priya to book the venue for the sprint" in create.body


def _existing(title: str, marker_title: str) -> ExistingIssue:
    """The issue an older version opened for NOTES' item, with the title it gave then."""
    [d] = desired_issues(NOTES, Config(), CTX)
    p = plan([d], [], Config(), tracking_repo="acme/notes")
    [create] = [op for op in p.ops if isinstance(op, CreateIssue)]
    marker = render.parse_marker(create.body)
    assert marker is not None
    body = render.with_marker(create.body, render.replace_marker_state(marker, title=marker_title))
    return ExistingIssue(7, title, body, labels=create.labels, assignees=create.assignees, marker=render.parse_marker(body))


def test_a_title_made_by_an_older_version_changes_in_one_update_of_the_same_issue() -> None:
    old = "Priya to book the venue for the sprint"
    existing = _existing(old, old)
    [d] = desired_issues(NOTES, Config(), CTX)
    p = plan([d], [existing], Config(), tracking_repo="acme/notes", scope=scope_of(NOTES, Config()))
    assert [type(op).__name__ for op in p.ops] == ["UpdateIssue"]
    [update] = p.ops
    assert isinstance(update, UpdateIssue) and update.number == 7
    assert update.title == "Book the venue for the sprint" and update.writes == 1
    assert "update #7 (title, body)" in update.describe()
    assert existing.marker is not None and existing.marker.key == d.key  # identity unchanged
    after = render.parse_marker(update.body)
    assert after is not None and after.title == update.title


def test_a_title_a_human_wrote_is_never_changed() -> None:
    existing = _existing("Venue for the sprint (Priya is on it)", "Priya to book the venue for the sprint")
    [d] = desired_issues(NOTES, Config(), CTX)
    p = plan([d], [existing], Config(), tracking_repo="acme/notes", scope=scope_of(NOTES, Config()))
    assert all(not isinstance(op, UpdateIssue) or op.title is None for op in p.ops)
    assert not any(isinstance(op, CreateIssue) for op in p.ops)
