"""Hostile notes read and plan in linear time.

Each input below is a shape a pull request could commit that made a regex
backtrack or a loop compare all pairs: quadratic, so at 200 KB it took minutes.
Linear code reads it in well under a second. The work runs in a forked child
with a generous deadline (a regex holds the interpreter until it returns, so a
thread could not be waited for): a failure means "still running after 20 s",
never a close timing call on a loaded machine.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import pickle
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from actionbot.__main__ import main
from actionbot.core import render
from actionbot.core.config import DEFAULT_CONFIG
from actionbot.core.desired import NotesContext, desired_issues
from actionbot.core.existing import ExistingIssue
from actionbot.core.matching import normalise_text
from actionbot.core.operations import CreateIssue, Plan
from actionbot.core.plan import plan
from actionbot.notes import meetings
from actionbot.notes.model import Item, Meeting, Notes, TooLarge
from actionbot.notes.owners import find_owners
from actionbot.notes.parse import MAX_ITEMS, MAX_LINES, parse_notes

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



# ---------------------------------------------------------------- reading limits


def _items(n: int, start: int = 0) -> str:
    return "".join(f"- Fix widget {k} (Ana)\n" for k in range(start, start + n))


def test_a_file_of_the_most_lines_is_read_and_one_line_more_is_refused_naming_that_line() -> None:
    at_limit = "# Team meeting, 2025-05-12\n\n" + "Some words\n" * (MAX_LINES - 2)
    assert parse_notes(at_limit, path="n.md").meetings  # read
    with pytest.raises(TooLarge) as caught:
        parse_notes(at_limit + "x\n", path="docs/n.md")
    assert (caught.value.path, caught.value.line) == ("docs/n.md", MAX_LINES + 1)
    assert "too many lines" in caught.value.message and "split the file" in caught.value.message


def test_a_file_of_the_most_action_items_is_read_and_one_more_is_refused_naming_its_line() -> None:
    at_limit = HEAD + _items(MAX_ITEMS)
    assert len(parse_notes(at_limit, path="n.md").items) == MAX_ITEMS
    with pytest.raises(TooLarge) as caught:
        parse_notes(at_limit + _items(1, MAX_ITEMS), path="n.md")
    assert caught.value.line == HEAD.count("\n") + MAX_ITEMS + 1  # the item past the limit
    assert "too many action items" in caught.value.message and "split the file" in caught.value.message


def test_marked_lines_outside_sections_count_as_action_items() -> None:
    text = HEAD + _items(MAX_ITEMS) + "\n# Later\n\nAna: TODO: write the guide\n"
    with pytest.raises(TooLarge) as caught:
        parse_notes(text, path="n.md")
    assert caught.value.line == text.count("\n")


def test_list_items_that_are_no_action_items_do_not_count() -> None:
    text = "# Team meeting, 2025-05-12\n\n## Agenda\n\n" + _items(MAX_ITEMS + 100)
    assert parse_notes(text, path="n.md").items == ()


def test_a_file_past_a_limit_is_one_line_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "n.md"
    notes.write_text(HEAD + _items(MAX_ITEMS + 1))
    assert main(["parse", str(notes)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"actionbot: error: {notes}:{HEAD.count(chr(10)) + MAX_ITEMS + 1}: " + (
        f"too many action items (more than {MAX_ITEMS:,}); split the file, one a meeting or a year"
    )


def test_the_limit_error_crosses_from_the_worker_process_whole() -> None:
    err = TooLarge("n.md", "too many lines", line=25_001)
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), back.path, back.message, back.line, str(back)) == (TooLarge, "n.md", "too many lines", 25_001, str(err))


def test_the_readme_states_the_reading_limits_the_parser_holds() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert f"| {MAX_LINES:,} lines |" in readme and f"| {MAX_ITEMS:,} action items" in readme


def test_the_collector_is_paused_while_reading_and_planning_and_back_on_after() -> None:
    seen: list[bool] = []
    notes = parse_notes(HEAD + "- Fix the build (Ana)\n", path="n.md", repo="o/r", progress=lambda _: seen.append(gc.isenabled()))
    assert seen and not any(seen)  # off while reading
    assert gc.isenabled()  # on again after
    context = NotesContext(repo="o/r", html_url="https://github.com/o/r", sha="HEAD", path="n.md")
    plan(desired_issues(notes, DEFAULT_CONFIG, context), [], DEFAULT_CONFIG, tracking_repo="o/r")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_notes(HEAD + "- Fix the build (Ana)\n", path="n.md")
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
