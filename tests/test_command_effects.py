"""Commands meet the sync engine, over the fake GitHub: `@actionbot sync` re-reads the
notes, and what a command changed (links, state, assignees) survives the next sync."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from gidgethub.sansio import Event

from actionbot.context import Context
from actionbot.handlers.commands import router
from actionbot.render import parse_marker
from actionbot.sync import reconcile
from tests.syncenv import EXAMPLE, NOTES, REPO, by_title, client, logins, setup_repo

INCIDENT = "Write the incident report for the February outage"
NO_OWNER = "Please add yourself to the team list"
UPSTREAM = "upstream/lib"


@pytest.fixture
def fake(fake_github: Any) -> Any:
    setup_repo(fake_github)
    fake_github.add_collaborator(REPO, "maint", "write")
    fake_github.add_repo(UPSTREAM)
    return fake_github


@pytest.fixture
async def gh(fake: Any) -> Any:
    async with aiohttp.ClientSession() as session:
        yield client(session, fake)


async def say(gh: Any, fake: Any, number: int, body: str, *, who: str = "maint", ctx: Context | None = None) -> Any:
    """A new comment by `who` on issue `number`, delivered to the command handler."""
    comment = fake.add_comment(REPO, number, body, user=who)
    data = {
        "action": "created",
        "issue": fake.issue_json(REPO, number),
        "comment": {"id": comment.id, "body": body, "user": {"login": who, "type": "User"}},
        "repository": {"full_name": REPO},
        "sender": {"login": who, "type": "User"},
    }
    await router.dispatch(Event(data, event="issue_comment", delivery_id="d"), gh, ctx or Context())
    return comment


def issue(fake: Any, title: str) -> dict[str, Any]:
    return by_title(fake)[title]


def bot_replies(fake: Any, number: int) -> list[str]:
    return [c["body"] for c in fake.comments(REPO, number) if c["user"]["login"] == "octocat"]


# ---------------------------------------------------------------- @actionbot sync re-reads the notes


async def test_sync_command_rereads_the_notes_without_a_push(fake: Any, gh: Any) -> None:
    await reconcile(gh, REPO)
    number = issue(fake, INCIDENT)["number"]
    fake.commit(REPO, {NOTES: EXAMPLE.replace("February outage (Carol)", "February outage (Carol/Sylvain)")})  # no delivery
    fake.reset_log()
    c = await say(gh, fake, number, "@actionbot sync")
    updated = fake.issue_json(REPO, number)
    assert logins(updated) == ["carol", "sylvain"]
    assert "sylvain" in parse_marker(updated["body"]).owners
    assert [r["content"] for r in fake.reactions(REPO, comment_id=c.id)] == ["+1"]
    assert bot_replies(fake, number) == []  # nothing to say beyond the 👍
    assert fake.writes("/check-runs") == []  # a command's sync answers on the issue, not in a check run


async def test_sync_command_goes_through_the_notes_repository_queue_in_the_service(fake: Any, gh: Any) -> None:
    await reconcile(gh, REPO)
    number = issue(fake, INCIDENT)["number"]
    fake.commit(REPO, {NOTES: EXAMPLE.replace("February outage", "February outage and its follow-ups")})
    queued: list[tuple[str, Any]] = []
    ctx = Context(enqueue_fn=lambda key, job: queued.append((key, job)) or True)
    await say(gh, fake, number, "@actionbot sync", ctx=ctx)
    assert [key for key, _ in queued] == [REPO]
    assert fake.issue_json(REPO, number)["title"] == INCIDENT  # not yet: the queue runs it
    await queued[0][1]()
    assert fake.issue_json(REPO, number)["title"] == INCIDENT + " and its follow-ups"


async def test_sync_command_acts_only_on_the_items_meetings(fake: Any, gh: Any) -> None:
    yearly = "docs/meetings/2024.md"
    text = "# 2024\n\n## 2024-01-04\n\n### Next actions\n\n- January item (Carol)\n\n## 2024-02-01\n\n### Next actions\n\n- February item (Carol)\n"
    fake.commit(REPO, {yearly: text})
    await reconcile(gh, REPO)
    jan = issue(fake, "January item")["number"]
    # Both meetings gain an item; only the commented item's meeting is re-read.
    fake.commit(REPO, {yearly: text.replace("- January item (Carol)", "- January item (Carol)\n- Late January item (Carol)")
                                    .replace("- February item (Carol)", "- February item (Carol)\n- Late February item (Carol)")})
    await say(gh, fake, jan, "@actionbot sync")
    titles = set(by_title(fake))
    assert "Late January item" in titles and "Late February item" not in titles


async def test_sync_command_says_when_the_notes_file_is_gone(fake: Any, gh: Any) -> None:
    await reconcile(gh, REPO)
    number = issue(fake, INCIDENT)["number"]
    fake.commit(REPO, {NOTES: None})
    await say(gh, fake, number, "@actionbot sync")
    (text,) = bot_replies(fake, number)
    assert f"`{NOTES}` is not a notes file" in text and fake.issue_json(REPO, number)["state"] == "open"
