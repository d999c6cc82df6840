"""Commands meet the sync engine, in memory: `@actionbot sync` re-reads the notes, and
what a command changed (links, state, assignees) survives the next sync."""

from __future__ import annotations

from typing import Any

import pytest

from actionbot.core.refstate import refs_in_body
from actionbot.core.render import parse_marker
from actionbot.engine.reconcile import reconcile
from actionbot.service.context import Context
from tests.fakestore import MemoryGitHub, MemoryStore
from tests.handlerenv import Handlers
from tests.syncenv import EXAMPLE, NOTES, REPO, by_title, item_writes, labels, logins, setup_repo

INCIDENT = "Write the incident report for the February outage"
NO_OWNER = "Please add yourself to the team list"
UPSTREAM = "upstream/lib"


@pytest.fixture
def fake(memory_store: MemoryStore) -> MemoryStore:
    setup_repo(memory_store)
    memory_store.add_collaborator(REPO, "maint", "write")
    memory_store.add_repo(UPSTREAM)
    return memory_store


@pytest.fixture
def gh(fake: MemoryStore) -> MemoryGitHub:
    return fake.gh


async def say(handlers: Handlers, number: int, body: str, *, who: str = "maint", ctx: Context | None = None) -> Any:
    """A new comment by `who` on issue `number`, delivered to the handlers."""
    return await handlers.comment(REPO, number, body, who=who, ctx=ctx)


def issue(fake: Any, title: str) -> dict[str, Any]:
    return by_title(fake)[title]


def bot_replies(fake: Any, number: int) -> list[str]:
    return [c["body"] for c in fake.comments(REPO, number) if c["user"]["login"] == fake.gh.actor]


# ---------------------------------------------------------------- @actionbot sync re-reads the notes


async def test_sync_command_rereads_the_notes_without_a_push(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    await reconcile(gh, REPO)
    number = issue(fake, INCIDENT)["number"]
    fake.commit(REPO, {NOTES: EXAMPLE.replace("February outage (Carol)", "February outage (Carol/Sylvain)")})  # no delivery
    fake.reset_log()
    c = await say(handlers, number, "@actionbot sync")
    updated = fake.issue_json(REPO, number)
    assert logins(updated) == ["carol", "sylvain"]
    assert "sylvain" in parse_marker(updated["body"]).owners
    assert [r["content"] for r in fake.reactions(REPO, comment_id=c.id)] == ["+1"]
    assert bot_replies(fake, number) == []  # nothing to say beyond the 👍
    assert fake.writes("/check-runs") == []  # a command's sync answers on the issue, not in a check run


async def test_sync_command_goes_through_the_notes_repository_queue_in_the_service(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    await reconcile(gh, REPO)
    number = issue(fake, INCIDENT)["number"]
    fake.commit(REPO, {NOTES: EXAMPLE.replace("February outage", "February outage and its follow-ups")})
    queued: list[tuple[str, Any]] = []
    ctx = Context(enqueue_fn=lambda key, job: queued.append((key, job)) or True)
    await say(handlers, number, "@actionbot sync", ctx=ctx)
    assert [key for key, _ in queued] == [REPO]
    assert fake.issue_json(REPO, number)["title"] == INCIDENT  # not yet: the queue runs it
    await queued[0][1]()
    assert fake.issue_json(REPO, number)["title"] == INCIDENT + " and its follow-ups"


async def test_sync_command_acts_only_on_the_items_meetings(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    yearly = "docs/meetings/2024.md"
    text = "# 2024\n\n## 2024-01-04\n\n### Next actions\n\n- January item (Carol)\n\n## 2024-02-01\n\n### Next actions\n\n- February item (Carol)\n"
    fake.commit(REPO, {yearly: text})
    await reconcile(gh, REPO)
    jan = issue(fake, "January item")["number"]
    # Both meetings gain an item; only the commented item's meeting is re-read.
    fake.commit(REPO, {yearly: text.replace("- January item (Carol)", "- January item (Carol)\n- Late January item (Carol)")
                                    .replace("- February item (Carol)", "- February item (Carol)\n- Late February item (Carol)")})
    await say(handlers, jan, "@actionbot sync")
    titles = set(by_title(fake))
    assert "Late January item" in titles and "Late February item" not in titles


async def test_sync_command_says_when_the_notes_file_is_gone(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    await reconcile(gh, REPO)
    number = issue(fake, INCIDENT)["number"]
    fake.commit(REPO, {NOTES: None})
    await say(handlers, number, "@actionbot sync")
    (text,) = bot_replies(fake, number)
    assert f"`{NOTES}` is not a notes file" in text and fake.issue_json(REPO, number)["state"] == "open"


async def test_sync_command_reply_quotes_a_configuration_error_without_a_mention(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    """The error quotes the configuration's text: in a comment it notifies nobody and shows no image."""
    await reconcile(gh, REPO)
    number = issue(fake, INCIDENT)["number"]
    fake.commit(REPO, {".github/actionbot.yml": 'on_removed: "@org/everyone ![x](https://evil.example/p.png)"\n'})
    await say(handlers, number, "@actionbot sync")
    (text,) = bot_replies(fake, number)
    assert "the notes were not re-read" in text and "@\u200borg/everyone" in text
    assert "@org/everyone" not in text and "![x]" not in text


# ---------------------------------------------------------------- command effects survive a resync


async def test_link_survives_a_resync(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    await reconcile(gh, REPO)
    ref = fake.add_issue(UPSTREAM, "Upstream bug")
    number = issue(fake, INCIDENT)["number"]
    await say(handlers, number, f"@actionbot link {UPSTREAM}#{ref.number}")
    linked = f"{UPSTREAM}#{ref.number}"
    fake.reset_log()
    report = await reconcile(gh, REPO)
    assert report.ok
    body = fake.issue_json(REPO, number)["body"]
    assert linked in parse_marker(body).links_added
    assert refs_in_body(body) == {linked: "open"}
    assert item_writes(fake) == []  # the command wrote exactly what the sync renders


async def test_unlink_of_a_notes_reference_survives_a_resync(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    await reconcile(gh, REPO)
    title = "Review the dependency policy draft, see jupyterhub/binderhub#379"
    number = issue(fake, title)["number"]
    await say(handlers, number, "@actionbot unlink jupyterhub/binderhub#379")
    await reconcile(gh, REPO)
    body = fake.issue_json(REPO, number)["body"]
    assert refs_in_body(body) == {} and "jupyterhub/binderhub#379" in parse_marker(body).links_removed


async def test_done_survives_a_resync(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    await reconcile(gh, REPO)
    number = issue(fake, INCIDENT)["number"]
    await say(handlers, number, "@actionbot done")
    fake.reset_log()
    await reconcile(gh, REPO)
    after = fake.issue_json(REPO, number)
    assert after["state"] == "closed" and after["state_reason"] == "completed"
    assert item_writes(fake) == []


async def test_assign_and_unassign_survive_a_resync(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    await reconcile(gh, REPO)
    number = issue(fake, INCIDENT)["number"]  # Carol's, from the notes
    await say(handlers, number, "@actionbot assign @sylvain")
    fake.reset_log()
    await reconcile(gh, REPO)
    assert logins(fake.issue_json(REPO, number)) == ["carol", "sylvain"]  # a human's choice is not the bot's to undo
    assert item_writes(fake) == []
    await say(handlers, number, "@actionbot unassign @carol")
    await reconcile(gh, REPO)
    assert logins(fake.issue_json(REPO, number)) == ["sylvain"]  # not re-added because the notes name her
    # The notes drop Carol: the bot removes only what the notes gave and a human has not taken over.
    fake.commit(REPO, {NOTES: EXAMPLE.replace("February outage (Carol)", "February outage")})
    await reconcile(gh, REPO)
    assert logins(fake.issue_json(REPO, number)) == ["sylvain"]


async def test_assign_settles_needs_owner_at_once_and_the_resync_agrees(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    await reconcile(gh, REPO)
    number = issue(fake, NO_OWNER)["number"]
    assert "needs owner" in labels(fake.issue_json(REPO, number))
    await say(handlers, number, "@actionbot assign me", who="carol")
    assigned = fake.issue_json(REPO, number)
    assert logins(assigned) == ["carol"] and "needs owner" not in labels(assigned)
    fake.reset_log()
    await reconcile(gh, REPO)
    assert logins(fake.issue_json(REPO, number)) == ["carol"] and item_writes(fake) == []
    await say(handlers, number, "@actionbot unassign me", who="carol")
    assert "needs owner" in labels(fake.issue_json(REPO, number))
    fake.reset_log()
    await reconcile(gh, REPO)
    assert item_writes(fake) == []


async def test_dashboard_follows_commands_it_shows_and_only_those(fake: MemoryStore, gh: MemoryGitHub, handlers: Handlers) -> None:
    from actionbot.core.dashboard import is_dashboard

    await reconcile(gh, REPO)
    (dash,) = [i for i in fake.issues(REPO) if is_dashboard(i["body"])]
    number = issue(fake, INCIDENT)["number"]
    fake.reset_log()
    await say(handlers, number, "@actionbot status")  # shows nothing new: no dashboard write
    assert fake.writes(f"/repos/{REPO}/issues/{dash['number']}") == []
    await say(handlers, number, "@actionbot done")
    body = fake.issue_json(REPO, dash["number"])["body"]
    closed_part = body.split("### Closed in the last", 1)[1]
    assert INCIDENT in closed_part and "completed" in closed_part
