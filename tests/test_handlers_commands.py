"""`@actionbot` commands over the fake GitHub: every command permitted and refused, what is ignored."""

from __future__ import annotations

import aiohttp
import pytest
from gidgethub.sansio import Event

from actionbot.core.commands import COMMANDS
from actionbot.core.refstate import refs_in_body
from actionbot.core.render import parse_marker
from actionbot.github.client import GitHubClient
from actionbot.service.context import Context
from actionbot.service.handlers.commands import router
from tests.helpers import TRACK, item_body

OTHER = "jupyterhub/binderhub"


@pytest.fixture
async def gh(fake_github):
    fake_github.add_repo(TRACK)
    fake_github.add_repo(OTHER)
    fake_github.add_token("tok")
    fake_github.add_collaborator(TRACK, "maint", "write")
    fake_github.add_collaborator(TRACK, "triager", "triage")
    fake_github.add_collaborator(TRACK, "reader", "read")
    for login in ("maint", "triager", "carol", "alice", "reader"):
        fake_github.add_assignable(TRACK, login)
    async with aiohttp.ClientSession() as session:
        yield GitHubClient.from_token(session, "tok", fake_github.url, write_interval=0)


def new_item(fake, refs=(), assignees=("carol",)):
    body = item_body(list(refs), owners=tuple(assignees))
    return fake.add_issue(TRACK, "Ship", body, labels=["action item"], assignees=list(assignees))


async def say(gh, fake, number: int, body: str, who: str = "maint", user_type: str = "User"):
    """A new comment by `who`, delivered to the command handler."""
    comment = fake.add_comment(TRACK, number, body, user=who, user_type=user_type)
    data = {
        "action": "created",
        "issue": fake.issue_json(TRACK, number),
        "comment": {"id": comment.id, "body": body, "user": {"login": who, "type": user_type}},
        "repository": {"full_name": TRACK},
        "sender": {"login": who, "type": user_type},
    }
    await router.dispatch(Event(data, event="issue_comment", delivery_id="d"), gh, Context())
    return comment


def bot_replies(fake, number: int) -> list[str]:
    return [c["body"] for c in fake.comments(TRACK, number) if c["user"]["login"] == "octocat"]


def thumbs(fake, comment) -> list[str]:
    return [r["content"] for r in fake.reactions(TRACK, comment_id=comment.id)]


# --- permitted and refused, command by command --------------------------------------------


@pytest.mark.parametrize("who", ["maint", "triager", "carol"])  # write, triage, owner
async def test_done_drop_reopen_permitted(fake_github, gh, who):
    item = new_item(fake_github)
    c = await say(gh, fake_github, item.number, "@actionbot done")
    assert thumbs(fake_github, c) == ["+1"] and bot_replies(fake_github, item.number) == []
    assert (fake_github.issue(TRACK, item.number).state_reason) == "completed"
    await say(gh, fake_github, item.number, "@actionbot reopen", who)
    assert fake_github.issue(TRACK, item.number).state == "open"
    await say(gh, fake_github, item.number, "@actionbot drop", who)
    issue = fake_github.issue(TRACK, item.number)
    assert issue.state == "closed" and issue.state_reason == "not_planned"


@pytest.mark.parametrize("command", ["done", "drop", "reopen", "sync", "dashboard", "link o/r#1", "unlink o/r#1"])
async def test_owner_commands_refused_for_readers(fake_github, gh, command):
    item = new_item(fake_github)
    c = await say(gh, fake_github, item.number, f"@actionbot {command}", "reader")
    (text,) = bot_replies(fake_github, item.number)
    assert text.startswith(f"> `@actionbot {command}`") and "@reader:" in text
    assert "write or triage access to this repository, or being an owner of this item" in text
    assert thumbs(fake_github, c) == []
    assert fake_github.issue(TRACK, item.number).state == "open"


async def test_assign_permitted_and_refused(fake_github, gh):
    item = new_item(fake_github)
    await say(gh, fake_github, item.number, "@actionbot assign @alice", "triager")
    assert fake_github.issue(TRACK, item.number).assignees == ["carol", "alice"]
    await say(gh, fake_github, item.number, "@actionbot unassign @alice", "carol")  # owner, but not triage
    (refusal,) = bot_replies(fake_github, item.number)
    assert "write or triage access" in refusal and "`@actionbot unassign me`" in refusal
    assert "alice" in fake_github.issue(TRACK, item.number).assignees


async def test_assign_me_and_unassign_me_for_anyone(fake_github, gh):
    item = new_item(fake_github)
    c = await say(gh, fake_github, item.number, "@actionbot assign me", "reader")
    assert thumbs(fake_github, c) == ["+1"] and "reader" in fake_github.issue(TRACK, item.number).assignees
    await say(gh, fake_github, item.number, "@actionbot unassign me", "reader")
    assert "reader" not in fake_github.issue(TRACK, item.number).assignees


@pytest.mark.parametrize("command", ["drop", "done", "link o/r#1"])
async def test_assign_me_does_not_make_an_owner(fake_github, gh, command):
    """Anyone assignable may take an item, but only the notes or a triager make an owner."""
    item = new_item(fake_github)
    await say(gh, fake_github, item.number, "@actionbot assign me", "reader")
    assert "reader" in fake_github.issue(TRACK, item.number).assignees
    assert parse_marker(fake_github.issue(TRACK, item.number).body).self_assigned == ("reader",)
    await say(gh, fake_github, item.number, f"@actionbot {command}", "reader")
    issue = fake_github.issue(TRACK, item.number)
    assert issue.state == "open" and "being an owner of this item" in bot_replies(fake_github, item.number)[-1]
    await say(gh, fake_github, item.number, "@actionbot assign @reader", "triager")  # a triager's choice
    assert parse_marker(fake_github.issue(TRACK, item.number).body).self_assigned == ()
    await say(gh, fake_github, item.number, "@actionbot drop", "reader")
    assert fake_github.issue(TRACK, item.number).state == "closed"


async def test_assign_only_assignable_users(fake_github, gh):
    item = new_item(fake_github)
    await say(gh, fake_github, item.number, "@actionbot assign @alice @stranger")
    assert fake_github.issue(TRACK, item.number).assignees == ["carol", "alice"]
    (text,) = bot_replies(fake_github, item.number)
    assert "`stranger` cannot be assigned" in text


async def test_link_and_unlink_persist_in_the_marker(fake_github, gh):
    pr = fake_github.add_pull(OTHER, "Fix")
    item = new_item(fake_github, refs=[f"{OTHER}#{pr.number}"])
    other = fake_github.add_issue(OTHER, "Bug")
    c = await say(gh, fake_github, item.number, f"@actionbot link https://github.com/{OTHER}/issues/{other.number}", "carol")
    assert thumbs(fake_github, c) == ["+1"]
    body = fake_github.issue(TRACK, item.number).body
    assert parse_marker(body).links_added == (f"{OTHER}#{other.number}",)
    assert refs_in_body(body) == {f"{OTHER}#{pr.number}": "open", f"{OTHER}#{other.number}": "open"}
    await say(gh, fake_github, item.number, f"@actionbot unlink {OTHER}#{pr.number}", "carol")
    body = fake_github.issue(TRACK, item.number).body
    marker = parse_marker(body)
    assert marker.links_removed == (f"{OTHER}#{pr.number}",)
    assert list(refs_in_body(body)) == [f"{OTHER}#{other.number}"]
    assert marker.key == "k-1"  # identity untouched


async def test_link_of_closed_refs_sets_the_label(fake_github, gh):
    done = fake_github.add_issue(OTHER, "Bug", state="closed")
    item = new_item(fake_github)
    await say(gh, fake_github, item.number, f"@actionbot link {OTHER}#{done.number}")
    assert "refs closed" in fake_github.issue(TRACK, item.number).labels


async def test_status_and_help_for_anyone(fake_github, gh):
    pr = fake_github.add_pull(OTHER, "Fix")
    item = new_item(fake_github, refs=[f"{OTHER}#{pr.number}"])
    await say(gh, fake_github, item.number, "@actionbot status\n@actionbot help", "reader")
    (text,) = bot_replies(fake_github, item.number)
    assert "Owners: `carol`" in text and "Meeting: 2026-01-08" in text and f"{OTHER}#{pr.number} open" in text
    for spec in COMMANDS:
        assert f"`@actionbot {spec.name}" in text


async def test_track_makes_an_action_item_only_for_triage(fake_github, gh):
    plain = fake_github.add_issue(TRACK, "Just an issue", "Please do X")
    await say(gh, fake_github, plain.number, "@actionbot track", "carol")
    assert "write or triage access to this repository" in bot_replies(fake_github, plain.number)[0]
    assert parse_marker(fake_github.issue(TRACK, plain.number).body) is None
    await say(gh, fake_github, plain.number, "@actionbot track", "triager")
    issue = fake_github.issue(TRACK, plain.number)
    assert parse_marker(issue.body) is not None and "action item" in issue.labels
    assert "Please do X" in issue.body


async def test_item_commands_on_an_ordinary_issue_say_so(fake_github, gh):
    plain = fake_github.add_issue(TRACK, "Just an issue", "text")
    await say(gh, fake_github, plain.number, "@actionbot done")
    (text,) = bot_replies(fake_github, plain.number)
    assert "not an action item" in text and "`@actionbot track`" in text
    assert fake_github.issue(TRACK, plain.number).state == "open"


async def test_dashboard_command_creates_and_brings_back_the_dashboard(fake_github, gh):
    item = new_item(fake_github)
    await say(gh, fake_github, item.number, "@actionbot dashboard")
    (dash,) = [i for i in fake_github.issues(TRACK) if i["title"] == "Action items"]
    assert "actionbot dashboard" in [lab["name"] for lab in dash["labels"]]
    assert f"[#{item.number}]" in dash["body"] and "### carol (1)" in dash["body"]
    fake_github.set_state(fake_github.issue(TRACK, dash["number"]), "closed", "completed", actor="maint")
    fake_github.reset_log()
    await say(gh, fake_github, item.number, "@actionbot dashboard")
    assert fake_github.issue(TRACK, dash["number"]).state == "open"
    assert len([i for i in fake_github.issues(TRACK) if i["title"] == "Action items"]) == 1


async def test_dashboard_rewritten_only_on_change(fake_github, gh):
    from actionbot.core.config import DEFAULT_CONFIG
    from actionbot.engine.items import refresh_dashboard

    new_item(fake_github)
    assert (await refresh_dashboard(gh, TRACK, DEFAULT_CONFIG)).action == "create"
    fake_github.reset_log()
    assert (await refresh_dashboard(gh, TRACK, DEFAULT_CONFIG)).action == "none"
    assert fake_github.writes() == []
    new_item(fake_github, assignees=())
    assert (await refresh_dashboard(gh, TRACK, DEFAULT_CONFIG)).action == "update"
    dash = next(i for i in fake_github.issues(TRACK) if i["title"] == "Action items")
    assert "### Needs an owner (1)" in dash["body"]
    # closed by a human: stays closed on upkeep
    fake_github.set_state(fake_github.issue(TRACK, dash["number"]), "closed", "completed", actor="maint")
    new_item(fake_github)
    assert (await refresh_dashboard(gh, TRACK, DEFAULT_CONFIG)).action == "none"


# --- what never triggers -------------------------------------------------------------------


async def test_quoted_and_code_commands_are_ignored(fake_github, gh):
    item = new_item(fake_github)
    fake_github.reset_log()
    await say(gh, fake_github, item.number, "> @actionbot done\n\n```\n@actionbot done\n```\n`@actionbot done`")
    assert fake_github.writes() == [] and fake_github.issue(TRACK, item.number).state == "open"
    assert fake_github.reads() == []  # not even a permission check


async def test_bot_comments_are_ignored(fake_github, gh):
    item = new_item(fake_github)
    fake_github.reset_log()
    await say(gh, fake_github, item.number, "@actionbot done", "other-bot[bot]", "Bot")
    assert fake_github.requests == []
    assert fake_github.issue(TRACK, item.number).state == "open"


async def test_unknown_command_reply_names_it_and_offers_help(fake_github, gh):
    item = new_item(fake_github)
    c = await say(gh, fake_github, item.number, "@actionbot frobnicate", "reader")
    (text,) = bot_replies(fake_github, item.number)
    assert "`frobnicate`" in text and "`@actionbot help`" in text and text.startswith("> `@actionbot frobnicate`")
    assert thumbs(fake_github, c) == []


async def test_several_commands_one_reply_in_order(fake_github, gh):
    item = new_item(fake_github)
    c = await say(gh, fake_github, item.number, "@actionbot assign @alice\n@actionbot nope\n@actionbot done", "maint")
    issue = fake_github.issue(TRACK, item.number)
    assert "alice" in issue.assignees and issue.state == "closed"
    assert thumbs(fake_github, c) == ["+1"]
    (text,) = bot_replies(fake_github, item.number)
    assert "`nope`" in text


# --- agenda ------------------------------------------------------------------------------


async def test_agenda_on_any_issue_by_anyone_replies_with_the_review_list(fake_github, gh):
    item = new_item(fake_github)
    plain = fake_github.add_issue(TRACK, "Meeting 2026-01-15", "agenda goes here")
    fake_github.reset_log()
    c = await say(gh, fake_github, plain.number, "@actionbot agenda", "stranger")
    (answer,) = bot_replies(fake_github, plain.number)
    assert answer.startswith("> `@actionbot agenda`\n\n@stranger: the review list for the next meeting")
    assert "#### carol (1)" in answer
    assert f"- [ ] Ship (`@carol`) #{item.number} · 2026-01-08 · " in answer
    assert "@carol)" not in answer.replace("`@carol`", "")  # an owner is shown, never notified
    assert thumbs(fake_github, c) == ["+1"]
    # only the reply and the reaction were written
    assert [w.method for w in fake_github.writes()] == ["POST", "POST"]
