"""Hostile notes read and plan in linear time.

Each input below is a shape a pull request could commit that made a regex
backtrack or a loop compare all pairs: quadratic, so at 200 KB it took minutes.
Linear code reads it in well under a second. The work runs in a forked child
with a generous deadline (a regex holds the interpreter until it returns, so a
thread could not be waited for): a failure means "still running after 20 s",
never a close timing call on a loaded machine.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest

from actionbot.core import render
from actionbot.core.config import DEFAULT_CONFIG
from actionbot.core.desired import NotesContext, desired_issues
from actionbot.core.existing import ExistingIssue
from actionbot.core.matching import normalise_text
from actionbot.core.operations import CreateIssue, Plan
from actionbot.core.plan import plan
from actionbot.notes import meetings
from actionbot.notes.model import Item, Meeting, Notes
from actionbot.notes.owners import find_owners
from actionbot.notes.parse import parse_notes

DEADLINE_S = 20.0
SIZE = 200_000
HEAD = "# Team meeting, 2025-05-12\n\n## Next actions\n\n"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="runs the work in a forked child")


def _finishes(work: Callable[[], object]) -> bool:
    """Whether `work()` returns within DEADLINE_S in a forked child (it is killed otherwise)."""
    child = multiprocessing.get_context("fork").Process(target=work, daemon=True)
    child.start()
    child.join(DEADLINE_S)
    if child.is_alive():
        child.kill()
        child.join()
        return False
    assert child.exitcode == 0, f"the work raised (exit code {child.exitcode})"
    return True


def _parse_and_plan(text: str) -> None:
    notes = parse_notes(text, path="n.md", repo="o/r")
    context = NotesContext(repo="o/r", html_url="https://github.com/o/r", sha="HEAD", path="n.md")
    plan(desired_issues(notes, DEFAULT_CONFIG, context), [], DEFAULT_CONFIG, tracking_repo="o/r")


def _repeat(unit: str, size: int = SIZE) -> str:
    return unit * (size // len(unit))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(HEAD + "- " + _repeat("Ana, ") + "will fix it\n", id="owner-list"),
        pytest.param(HEAD + "- Fix it" + _repeat(" ") + "x\n", id="run-of-spaces"),
        pytest.param(HEAD + "- " + _repeat("~~a") + "\n", id="strike-through"),
    ],
)
def test_hostile_notes_parse_and_plan_in_linear_time(text: str) -> None:
    assert _finishes(lambda: _parse_and_plan(text))


def test_owner_list_is_read_from_each_clause_start_in_bounded_time() -> None:
    assert _finishes(lambda: find_owners(_repeat("Ana, ") + "will fix the build"))


def test_date_line_and_front_matter_title_scan_blank_lines_and_spaces_once() -> None:
    assert _finishes(lambda: meetings.DATE_LINE.search(_repeat("\n")))
    assert _finishes(lambda: meetings.DATE_LINE.search("Date: 2025-05-12" + _repeat(" ") + "x"))
    assert _finishes(lambda: meetings.front_matter("---\ntitle: a" + _repeat(" ") + "b\n---\n"))


def test_reference_removal_reads_a_dotted_run_once() -> None:
    assert _finishes(lambda: normalise_text(_repeat("www.")))


def test_the_bounded_rules_read_what_they_read_before() -> None:
    owners = find_owners("Ana, Ben, Cleo, Dan and Eve will fix the build").owners
    assert owners == ("Ana", "Ben", "Cleo", "Dan", "Eve")
    notes = parse_notes(HEAD + "- ~~Fix the build~~\n- Fix it  \n  now\n", repo="o/r")
    assert [(i.text, i.done) for i in notes.items] == [("~~Fix the build~~", True), ("Fix it", False)]
    assert meetings.front_matter("---\ntitle:  Team sync  \n---\n") == ("Team sync", 3)
    assert normalise_text("Fix www.example.org and o/r#12 (#3)") == "fix www example org and"


# ---------------------------------------------------------------- planning

CONTEXT = NotesContext("o/r", "https://github.com/o/r", "c1", "docs/meetings/all.md")


def _history(texts_per_meeting: list[list[str]]) -> Notes:
    """One notes file with a dated meeting per entry, each listing its items."""
    meetings_t, items = [], []
    for k, texts in enumerate(texts_per_meeting):
        meetings_t.append(Meeting(f"Meeting {k}", (date(1990, 1, 1) + timedelta(days=k)).isoformat(), 1 + 10 * k))
        items += [Item(text=t, line=2 + 10 * k + j, meeting=k) for j, t in enumerate(texts)]
    return Notes(path=CONTEXT.path, meetings=tuple(meetings_t), items=tuple(items))


def _open_issues(result: Plan) -> list[ExistingIssue]:
    creates = [op for op in result.ops if isinstance(op, CreateIssue)]
    return [ExistingIssue(n, c.title, c.body, marker=render.parse_marker(c.body)) for n, c in enumerate(creates, 1)]


def test_items_of_many_meetings_are_weighed_against_a_few_earlier_ones() -> None:
    history = _history([[f"Fix widget {k} on page {3 * k}"] for k in range(8000)])
    desired = desired_issues(history, DEFAULT_CONFIG, CONTEXT)
    assert _finishes(lambda: plan(desired, [], DEFAULT_CONFIG, tracking_repo="o/r"))


def test_carried_over_items_are_looked_up_among_open_issues_by_text() -> None:
    config = replace(DEFAULT_CONFIG, max_writes_per_run=100_000)
    first = _history([[f"Fix widget {k} on page {3 * k}" for k in range(5000)]])
    existing = _open_issues(plan(desired_issues(first, config, CONTEXT), [], config, tracking_repo="o/r"))
    later = _history([[], [f"Write guide {k} for team {7 * k}" for k in range(5000)]])
    desired = desired_issues(later, config, CONTEXT)
    assert len(existing) == 5000
    assert _finishes(lambda: plan(desired, existing, config, tracking_repo="o/r"))


def test_an_item_with_thousands_of_references_renders_in_linear_time() -> None:
    text = HEAD + "- Fix " + " ".join(f"#{i}" for i in range(1, 40_000)) + "\n"
    assert _finishes(lambda: _parse_and_plan(text))


def test_indexed_planning_still_joins_an_item_listed_at_many_meetings() -> None:
    # "Fix the build" at 100 meetings: its words are in too many items to tell
    # anything, so the join goes by identical text; an edited later listing
    # joins by similarity.
    meetings_t = [["Fix the build", f"Review proposal {_tag(k)}"] for k in range(99)]
    meetings_t.append(["Fix the build!", f"Review the proposal {_tag(98)}"])
    desired = desired_issues(_history(meetings_t), DEFAULT_CONFIG, CONTEXT)
    config = replace(DEFAULT_CONFIG, max_writes_per_run=100_000)
    result = plan(desired, [], config, tracking_repo="o/r")
    creates = [op for op in result.ops if isinstance(op, CreateIssue)]
    build = next(c for c in creates if c.title.startswith("Fix the build"))
    assert render.parse_marker(build.body).meetings == tuple(
        (date(1990, 1, 1) + timedelta(days=k)).isoformat() for k in range(100)
    )
    # the edited listing at the last meeting joined the issue of meeting 98
    proposal = next(c for c in creates if _tag(98) in c.title)
    assert len(render.parse_marker(proposal.body).meetings) == 2


def _tag(k: int) -> str:
    return hashlib.sha1(str(k).encode()).hexdigest()[:8]


def test_a_megabyte_paragraph_of_markup_is_read_as_written_in_little_memory() -> None:
    # markdown-it's inline rules held ~400 MB (and seconds) for a 1 MB run of `*a_`
    text = HEAD + "- Fix " + _repeat("*a_", 1_000_000) + "\n"
    tracemalloc.start()
    try:
        notes = parse_notes(text, path="n.md", repo="o/r")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MB"
    assert [i.text[:12] for i in notes.items] == ["Fix *a_*a_*a"]

