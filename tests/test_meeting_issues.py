"""Meeting issues over the in-memory GitHub: the review list posted once, edited in place, frozen when
the meeting's notes land; and which issues are meeting issues (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from actionbot.core import meeting
from actionbot.core.agenda import Agenda
from actionbot.core.config import load_config
from actionbot.engine.meetings import refresh_meeting_issues
from actionbot.engine.read import Changed
from actionbot.engine.reconcile import reconcile
from tests.fakestore import MemoryStore
from tests.handlerenv import Handlers
from tests.syncenv import CONFIG, REPO, by_title, head, setup_repo

MEETINGS = CONFIG + 'meeting_issues:\n  labels: ["meeting"]\n  title: "*meeting*"\n'
INCIDENT = "Write the incident report for the February outage"


@pytest.fixture
async def fake(memory_store: MemoryStore) -> Any:
    setup_repo(memory_store, config=MEETINGS)
    await reconcile(memory_store.gh, REPO)
    return memory_store


async def deliver(handlers: Handlers, number: int, action: str, **extra: Any) -> None:
    """An `issues` delivery by carol about issue `number` (`extra`: the action's other fields)."""
    fake = handlers.store
    data = {
        "action": action, "issue": fake.issue_json(REPO, number), "repository": {"full_name": REPO},
        "sender": {"login": "carol", "type": "User"}, **extra,
    }  # fmt: skip
    await handlers.send("issues", data)


def ours(fake: Any, number: int) -> list[dict[str, Any]]:
    return [c for c in fake.comments(REPO, number) if c["body"].startswith(meeting.MARKER)]


async def test_posted_once_then_edited_in_place_then_frozen(fake: Any, handlers: Handlers) -> None:
    issue = fake.add_issue(REPO, "Team meeting 2025-03-20", "Agenda:\n", labels=["meeting"])
    await deliver(handlers, issue.number, "opened")
    (posted,) = ours(fake, issue.number)
    assert "**Actions to review at this meeting.**" in posted["body"]
    assert "`@actionbot done`" in posted["body"] and "## Review of previous action items" in posted["body"]
    assert f"- [ ] {INCIDENT} (`@carol`) #" in posted["body"]

    # a redelivery, a label added later: nothing new, nothing edited
    fake.reset_log()
    await deliver(handlers, issue.number, "opened")
    await deliver(handlers, issue.number, "labeled", label={"name": "meeting"})
    assert fake.writes() == [] and len(ours(fake, issue.number)) == 1

    # an item closes: the one comment is edited, not a second one posted
    incident = by_title(fake)[INCIDENT]["number"]
    gh = fake.gh
    await gh.update_issue(REPO, incident, state="closed", state_reason="completed")
    fake.reset_log()
    assert await refresh_meeting_issues(gh, REPO, load_config(MEETINGS)) == 1
    (edited,) = ours(fake, issue.number)
    assert edited["id"] == posted["id"] and f"- [x] {INCIDENT} #{incident} · done" in edited["body"]
    assert [w.method for w in fake.writes()] == ["PATCH"]

    # the meeting's notes land: the comment is the record now
    before = head(fake)
    after = fake.commit(REPO, {"docs/meetings/2025-03-20.md": "# Team meeting 2025-03-20\n\n## Action items\n\n- Carol: book the room\n"})
    fake.reset_log()
    report = await reconcile(fake.gh, REPO, ref=after, before=before, changed=[Changed("docs/meetings/2025-03-20.md")])
    assert report.applied
    assert [c["body"] for c in ours(fake, issue.number)] == [edited["body"]]


async def test_title_glob_and_other_issues(fake: Any, handlers: Handlers) -> None:
    by_glob = fake.add_issue(REPO, "Weekly Meeting notes", "")
    other = fake.add_issue(REPO, "Bug: crash", "")
    await deliver(handlers, by_glob.number, "opened")
    await deliver(handlers, other.number, "opened")
    assert len(ours(fake, by_glob.number)) == 1 and ours(fake, other.number) == []
    # retitled into a meeting issue: posted then
    await deliver(handlers, other.number, "edited", changes={"title": {"from": "x"}})
    assert ours(fake, other.number) == []  # still not a meeting title
    renamed = fake.add_issue(REPO, "Planning", "")
    fake.issue(REPO, renamed.number).title = "Planning meeting"
    await deliver(handlers, renamed.number, "edited", changes={"title": {"from": "Planning"}})
    assert len(ours(fake, renamed.number)) == 1


async def test_off_without_configuration(memory_store: MemoryStore, handlers: Handlers) -> None:
    setup_repo(memory_store)
    issue = memory_store.add_issue(REPO, "Team meeting", "", labels=["meeting"])
    await deliver(handlers, issue.number, "opened")
    assert ours(memory_store, issue.number) == []


def test_which_issues_are_meeting_issues() -> None:
    config = load_config(MEETINGS)
    assert meeting.is_meeting_issue({"title": "Team MEETING", "labels": []}, config)
    assert meeting.is_meeting_issue({"title": "Sync", "labels": [{"name": "Meeting"}]}, config)
    assert not meeting.is_meeting_issue({"title": "Sync", "labels": [{"name": "meeting: 2025-03-06"}]}, config)
    action = "<!-- actionbot:begin -->\n<!-- actionbot:marker {\"key\":\"k\"} -->\n<!-- actionbot:end -->"
    assert not meeting.is_meeting_issue({"title": "Plan the meeting", "body": action}, config)
    assert not meeting.is_meeting_issue({"title": "Team meeting", "pull_request": {}}, config)
    assert not meeting.is_meeting_issue({"title": "Team meeting"}, load_config(CONFIG))


def test_frozen_when_closed_or_when_the_meetings_notes_landed() -> None:
    def listing(last: str | None) -> Agenda:
        return Agenda("o/r", "2025-06-20", last, (), ())

    dated = {"title": "Meeting 2025-06-16", "state": "open", "created_at": "2025-06-10T09:00:00Z"}
    assert not meeting.frozen(dated, listing("2025-06-09"))
    assert meeting.frozen(dated, listing("2025-06-16"))
    undated = {"title": "Next meeting", "state": "open", "created_at": "2025-06-10T09:00:00Z"}
    assert not meeting.frozen(undated, listing("2025-06-10"))  # the last meeting's notes, landed the same day
    assert meeting.frozen(undated, listing("2025-06-16"))
    assert meeting.frozen({**undated, "state": "closed"}, listing(None))


async def test_a_command_on_an_item_updates_the_meeting_issue(fake: Any, handlers: Handlers) -> None:
    issue = fake.add_issue(REPO, "Team meeting 2025-03-20", "", labels=["meeting"])
    await deliver(handlers, issue.number, "opened")
    incident = by_title(fake)[INCIDENT]["number"]
    fake.add_collaborator(REPO, "maint", "write")
    await handlers.comment(REPO, incident, "@actionbot done", who="maint")
    (edited,) = ours(fake, issue.number)
    assert f"- [x] {INCIDENT} #{incident} · done" in edited["body"]
