"""Review sections close the loop, over the in-memory GitHub: a later meeting's notes mark earlier items
done, dropped or still open; the issues follow, a re-run changes nothing, a preview shows it first."""

from __future__ import annotations

from typing import Any

import pytest

from actionbot.core.render import parse_marker
from actionbot.engine.read import Changed
from actionbot.engine.reconcile import reconcile
from tests.fakestore import MemoryStore
from tests.syncenv import CONFIG, REPO, by_title, head, item_writes, labels, setup_repo

INCIDENT = "Write the incident report for the February outage"
GUIDE = "Update the contributing guide"
DANA = "Ask Dana about the conference budget"
POLICY = "Review the dependency policy draft, see jupyterhub/binderhub#379"
LATER = "docs/meetings/2025-03-20-team-meeting.md"

REVIEW = """\
# Team meeting, 2025-03-20

Attendees: Carol, Chris H

## Review of previous action items

- [x] Write the incident report for the February outage (Carol)
- Update the contributing guide (Sylvain?) - dropped
- Ask Dana about the conference budget
- Buy a new coffee machine for the office

## Next actions

- Book the room for the sprint (Carol)
"""


async def sync(fake: MemoryStore, **kw: Any) -> Any:
    return await reconcile(fake.gh, REPO, **kw)


async def push(fake: Any, files: dict[str, str], **kw: Any) -> tuple[Any, str, str]:
    before = head(fake)
    after = fake.commit(REPO, files)
    report = await sync(fake, ref=after, before=before, changed=[Changed(p) for p in files], **kw)
    return report, before, after


@pytest.fixture
async def fake(memory_store: MemoryStore) -> Any:
    setup_repo(memory_store)
    await sync(memory_store)
    return memory_store


def comments(fake: Any, number: int) -> list[str]:
    return [c["body"] for c in fake.comments(REPO, number)]


async def test_done_dropped_unmarked_and_unknown(fake: Any) -> None:
    report, _, after = await push(fake, {LATER: REVIEW})
    issues = by_title(fake)
    done, dropped, carried = issues[INCIDENT], issues[GUIDE], issues[DANA]

    assert (done["state"], done["state_reason"]) == ("closed", "completed")
    (said,) = [c for c in comments(fake, done["number"]) if "Marked done" in c]
    assert f"Marked done in [the notes of 2025-03-20, line 7](https://github.com/{REPO}/blob/{after}/{LATER}#L7)" in said
    assert (dropped["state"], dropped["state_reason"]) == ("closed", "not_planned")
    assert any("Marked dropped in [the notes of 2025-03-20, line 8]" in c for c in comments(fake, dropped["number"]))

    assert carried["state"] == "open"
    assert {"carried over", "meeting: 2025-03-06", "meeting: 2025-03-20"} <= set(labels(carried))
    assert parse_marker(carried["body"]).meetings == ("2025-03-06", "2025-03-20")
    assert "**Listed at:** 2025-03-06, 2025-03-20" in carried["body"]
    assert any("Reviewed at the meeting of 2025-03-20 and still open" in c for c in comments(fake, carried["number"]))

    # nothing opened for review lines; the new action is opened
    assert "Buy a new coffee machine for the office" not in issues
    assert "Book the room for the sprint" in issues
    (problem,) = [p for p in report.problems if "review line" in p.message]
    assert (problem.path, problem.line) == (LATER, 10)
    assert problem.message == "review line matched no open item: Buy a new coffee machine for the office"
    (check,) = [c for c in fake.repo(REPO).check_runs if c.head_sha == after]
    assert "review line matched no open item" in check.output["summary"]
    assert "marked done at the review of 2025-03-20" in check.output["summary"]


async def test_rerun_and_full_sync_change_nothing(fake: Any) -> None:
    _, before, after = await push(fake, {LATER: REVIEW})
    fake.reset_log()
    again = await sync(fake, ref=after, before=before, changed=[Changed(LATER)])  # a redelivered push
    assert item_writes(fake) == [] and again.plan.ops == ()
    full = await sync(fake)
    assert item_writes(fake) == [] and full.plan.ops == ()
    # the review line of the closed items still matches them: only the unknown one is reported
    assert [p.line for p in full.problems if "review line" in p.message] == [10]


async def test_a_pasted_review_list_matches_by_number(fake: Any) -> None:
    policy = by_title(fake)[POLICY]["number"]
    guide = by_title(fake)[GUIDE]["number"]
    pasted = (
        "# Team meeting, 2025-04-03\n\n### Previous action items\n\n"
        f"- [x] Policy draft review (`@choldgraf`) #{policy} · 2025-03-06 · 4 weeks · refs: jupyterhub/binderhub#379 open\n"
        f"- [ ] Contributing guide, rewritten #{guide} · 2025-03-06 · 4 weeks\n"
    )
    await push(fake, {"docs/meetings/2025-04-03-team-meeting.md": pasted})
    issues = by_title(fake)
    assert (issues[POLICY]["state"], issues[POLICY]["state_reason"]) == ("closed", "completed")
    assert issues[GUIDE]["state"] == "open" and "meeting: 2025-04-03" in labels(issues[GUIDE])


async def test_a_preview_shows_the_closes_before_merge(fake: Any) -> None:
    before = head(fake)
    branch_head = fake.commit(REPO, {LATER: REVIEW}, branch="notes-0320")
    fake.reset_log()
    report = await sync(fake, ref=branch_head, before=before, changed=[Changed(LATER)], preview=True)
    assert item_writes(fake) == []
    closes = [op for op in report.plan.ops if type(op).__name__ == "CloseIssue"]
    assert sorted(op.reason for op in closes) == ["completed", "not_planned"]
    (check,) = [c for c in fake.repo(REPO).check_runs if c.head_sha == branch_head]
    assert check.output["title"].startswith("Merging will") and "close 2" in check.output["title"]
    assert "marked dropped at the review of 2025-03-20" in check.output["summary"]


async def test_on_review_comment_asks_instead_of_closing(memory_store: MemoryStore) -> None:
    setup_repo(memory_store, config=CONFIG + "on_review: comment\n")
    await sync(memory_store)
    await push(memory_store, {LATER: REVIEW})
    done = by_title(memory_store)[INCIDENT]
    assert done["state"] == "open"
    (asked,) = [c for c in comments(memory_store, done["number"]) if "Marked done" in c]
    assert "`@actionbot done`" in asked
    memory_store.reset_log()
    await sync(memory_store)
    assert item_writes(memory_store) == []  # asked once


async def test_on_review_ignore(memory_store: MemoryStore) -> None:
    setup_repo(memory_store, config=CONFIG + "on_review: ignore\n")
    await sync(memory_store)
    await push(memory_store, {LATER: REVIEW})
    assert by_title(memory_store)[INCIDENT]["state"] == "open"
    assert "carried over" not in labels(by_title(memory_store)[DANA])
