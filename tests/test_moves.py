"""A notes file moved to another folder, over the in-memory GitHub: its issues are found again,
nothing is opened or rewritten, for meetings headed by a month only and for no date at all;
and undated issues found again when their meeting is read with a date."""

from __future__ import annotations

from typing import Any

import pytest

from actionbot.core.config import Config
from actionbot.core.desired import NotesContext, desired_issues, scope_of
from actionbot.core.operations import CloseIssue, CreateIssue, UpdateIssue
from actionbot.core.plan import ExistingIssue, plan
from actionbot.core.render import parse_marker
from actionbot.engine.read import Changed
from actionbot.engine.reconcile import reconcile
from actionbot.notes.model import Item, Meeting, Notes
from tests.fakestore import MemoryStore
from tests.syncenv import ASSIGNABLE, REPO, action_issues, by_title, head, item_writes, labels

OLD = "meetings/eng/2022.md"
NEW = "engineering/meetings/2022.md"
CONFIG = """\
notes: ["meetings/**/*.md", "engineering/meetings/*.md"]
people:
  Carol: carol
  Chris H: choldgraf
"""

# A yearly file: one meeting per month, headed by the month only.
MONTHS = """\
# Engineering team meetings, 2022

## 2022-06

Attendees: Carol, Chris H

### Action items

- Synthesize the roadmap thread into one clear next step
- Carol to get credentials for the new contractor

## 2022-05

### Action items

- Rotate the staging deploy key
- Write the incident summary for the storage outage (Chris H)
"""

# A running file with no date anywhere; the same line twice is two items.
UNDATED = """\
# Infrastructure working group

## Action items

- Rotate the staging deploy key
- Carol to write the runbook for restoring backups
- Carol to write the runbook for restoring backups
- Chris H to retire the old build machines
"""


async def sync(fake: MemoryStore, **kw: Any) -> Any:
    return await reconcile(fake.gh, REPO, **kw)


@pytest.fixture(params=["months", "undated"])
def notes(request: Any) -> str:
    return MONTHS if request.param == "months" else UNDATED


@pytest.fixture
def fake(memory_store: MemoryStore, notes: str) -> MemoryStore:
    memory_store.add_repo(REPO, {"README.md": "hi\n", ".github/actionbot.yml": CONFIG, OLD: notes})
    for login in ASSIGNABLE:
        memory_store.add_assignable(REPO, login)
    return memory_store


def only_check_runs(fake: Any) -> list[str]:
    """Paths of the writes that are not check runs (none expected)."""
    return [f"{w.method} {w.path}" for w in fake.writes() if "/check-runs" not in w.path]


# How the move reaches the reconcile: the compare API's rename, a push listing a
# removed and an added file, `actionbot sync` over a commit (every file compared
# with `before`), and a full sync of the default branch.
MOVES = {
    "renamed": lambda before: dict(before=before, changed=[Changed(NEW, "renamed", OLD)]),
    "removed+added": lambda before: dict(before=before, changed=[Changed(OLD, "removed"), Changed(NEW, "added")]),
    "every file": lambda before: dict(before=before, changed=None),
    "full sync": lambda before: dict(),
}


@pytest.mark.parametrize("seen_as", sorted(MOVES))
async def test_a_moved_file_opens_nothing_and_writes_only_the_check_run(fake: Any, seen_as: str) -> None:
    first = await sync(fake)
    assert first.ok
    numbers = {i["number"]: i["body"] for i in action_issues(fake)}
    assert len(numbers) == 4
    before = head(fake)
    after = fake.commit(REPO, {}, renames={OLD: NEW})
    fake.reset_log()
    report = await sync(fake, ref=after, **MOVES[seen_as](before))
    assert report.ok
    assert {i["number"]: i["body"] for i in action_issues(fake)} == numbers  # same issues, same bodies
    assert item_writes(fake) == [] and only_check_runs(fake) == []
    assert report.check in ("created", "updated")
    # And the run after it agrees: nothing to do.
    fake.reset_log()
    again = await sync(fake, ref=after)
    assert again.ok and again.plan.ops == () and only_check_runs(fake) == []


async def test_after_a_move_an_edit_updates_the_same_issue_and_a_deletion_is_reported(fake: Any, notes: str) -> None:
    await sync(fake)
    before = head(fake)
    moved = fake.commit(REPO, {}, renames={OLD: NEW})
    await sync(fake, ref=moved, before=before, changed=[Changed(NEW, "renamed", OLD)])
    issues = by_title(fake)
    key = parse_marker(issues["Rotate the staging deploy key"]["body"]).key

    edited = notes.replace("Rotate the staging deploy key", "Rotate the staging and test deploy keys")
    edited = edited.replace("- Chris H to retire the old build machines\n", "")
    edited = edited.replace("- Write the incident summary for the storage outage (Chris H)\n", "")
    after = fake.commit(REPO, {NEW: edited})
    report = await sync(fake, ref=after, before=moved, changed=[Changed(NEW)])
    assert report.ok
    assert len(action_issues(fake)) == 4  # no new issue
    issue = fake.issue_json(REPO, issues["Rotate the staging deploy key"]["number"])
    marker = parse_marker(issue["body"])
    assert marker.key == key and marker.path == NEW  # the same identity, now at the new path
    assert issue["title"] == "Rotate the staging and test deploy keys"
    gone = [t for t in issues if t.startswith(("Retire", "Write the incident"))]
    [title] = gone
    assert "removed from notes" in labels(fake.issue_json(REPO, issues[title]["number"]))


def test_a_meeting_read_with_a_date_now_keeps_the_issues_it_had_undated() -> None:
    """A reader that learns a heading's date (`## 2022-06`) finds the issues it opened undated."""
    ctx = NotesContext("octo-org/notes", "https://github.com/octo-org/notes", "c1", OLD)
    items = (
        Item(text="Synthesize the roadmap thread into one clear next step", line=9, meeting=0),
        Item(text="Carol to get credentials for the new contractor", line=10, owners=("Carol",), meeting=0),
    )
    undated = Notes(path=OLD, meetings=(Meeting("2022-06", None, 3),), items=items)
    dated = Notes(path=OLD, meetings=(Meeting("2022-06", "2022-06", 3),), items=items)
    config = Config(people={"Carol": "carol"})
    first = plan(desired_issues(undated, config, ctx), [], config, tracking_repo=REPO)
    creates = [op for op in first.ops if isinstance(op, CreateIssue)]
    existing = tuple(
        ExistingIssue(n, op.title, op.body, labels=op.labels, assignees=op.assignees, marker=parse_marker(op.body))
        for n, op in enumerate(creates, 1)
    )
    wanted = desired_issues(dated, config, ctx)
    assert {d.key for d in wanted}.isdisjoint(e.marker.key for e in existing if e.marker)  # the keys changed
    again = plan(wanted, existing, config, tracking_repo=REPO, scope=scope_of(dated, config))
    assert not any(isinstance(op, (CreateIssue, CloseIssue)) for op in again.ops)
    assert {op.number for op in again.ops if isinstance(op, UpdateIssue)} == {1, 2}  # they learn the meeting
