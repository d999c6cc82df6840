"""`@actionbot` commands, in memory: every command permitted and refused, what is ignored."""

from __future__ import annotations

import pytest

from actionbot.core.commands import COMMANDS
from actionbot.core.refstate import refs_in_body
from actionbot.core.render import parse_marker
from tests.helpers import TRACK, item_body

OTHER = "jupyterhub/binderhub"


@pytest.fixture
def fake(memory_store):
    memory_store.add_repo(TRACK)
    memory_store.add_repo(OTHER)
    memory_store.add_collaborator(TRACK, "maint", "write")
    memory_store.add_collaborator(TRACK, "triager", "triage")
    memory_store.add_collaborator(TRACK, "reader", "read")
    for login in ("maint", "triager", "carol", "alice", "reader"):
        memory_store.add_assignable(TRACK, login)
    return memory_store


def new_item(fake, refs=(), assignees=("carol",)):
    body = item_body(list(refs), owners=tuple(assignees))
    return fake.add_issue(TRACK, "Ship", body, labels=["action item"], assignees=list(assignees))


async def say(handlers, number: int, body: str, who: str = "maint", user_type: str = "User"):
    """A new comment by `who`, delivered to the handlers."""
    return await handlers.comment(TRACK, number, body, who=who, user_type=user_type)


def bot_replies(fake, number: int) -> list[str]:
    return [c["body"] for c in fake.comments(TRACK, number) if c["user"]["login"] == fake.gh.actor]


def thumbs(fake, comment) -> list[str]:
    return [r["content"] for r in fake.reactions(TRACK, comment_id=comment.id)]


# --- permitted and refused, command by command --------------------------------------------


@pytest.mark.parametrize("who", ["maint", "triager", "carol"])  # write, triage, owner
async def test_done_drop_reopen_permitted(fake, handlers, who):
    item = new_item(fake)
    c = await say(handlers, item.number, "@actionbot done")
    assert thumbs(fake, c) == ["+1"] and bot_replies(fake, item.number) == []
    assert (fake.issue(TRACK, item.number).state_reason) == "completed"
    await say(handlers, item.number, "@actionbot reopen", who)
    assert fake.issue(TRACK, item.number).state == "open"
    await say(handlers, item.number, "@actionbot drop", who)
    issue = fake.issue(TRACK, item.number)
    assert issue.state == "closed" and issue.state_reason == "not_planned"


@pytest.mark.parametrize("command", ["done", "drop", "reopen", "sync", "dashboard", "link o/r#1", "unlink o/r#1"])
async def test_owner_commands_refused_for_readers(fake, handlers, command):
    item = new_item(fake)
    c = await say(handlers, item.number, f"@actionbot {command}", "reader")
    (text,) = bot_replies(fake, item.number)
    assert text.startswith(f"> `@actionbot {command}`") and "@reader:" in text
    assert "write or triage access to this repository, or being an owner of this item" in text
    assert thumbs(fake, c) == []
    assert fake.issue(TRACK, item.number).state == "open"


async def test_assign_permitted_and_refused(fake, handlers):
    item = new_item(fake)
    await say(handlers, item.number, "@actionbot assign @alice", "triager")
    assert fake.issue(TRACK, item.number).assignees == ["carol", "alice"]
    await say(handlers, item.number, "@actionbot unassign @alice", "carol")  # owner, but not triage
    (refusal,) = bot_replies(fake, item.number)
    assert "write or triage access" in refusal and "`@actionbot unassign me`" in refusal
    assert "alice" in fake.issue(TRACK, item.number).assignees


async def test_assign_me_and_unassign_me_for_anyone(fake, handlers):
    item = new_item(fake)
    c = await say(handlers, item.number, "@actionbot assign me", "reader")
    assert thumbs(fake, c) == ["+1"] and "reader" in fake.issue(TRACK, item.number).assignees
    await say(handlers, item.number, "@actionbot unassign me", "reader")
    assert "reader" not in fake.issue(TRACK, item.number).assignees


@pytest.mark.parametrize("command", ["drop", "done", "link o/r#1"])
async def test_assign_me_does_not_make_an_owner(fake, handlers, command):
    """Anyone assignable may take an item, but only the notes or a triager make an owner."""
    item = new_item(fake)
    await say(handlers, item.number, "@actionbot assign me", "reader")
    assert "reader" in fake.issue(TRACK, item.number).assignees
    assert parse_marker(fake.issue(TRACK, item.number).body).self_assigned == ("reader",)
    await say(handlers, item.number, f"@actionbot {command}", "reader")
    issue = fake.issue(TRACK, item.number)
    assert issue.state == "open" and "being an owner of this item" in bot_replies(fake, item.number)[-1]
    await say(handlers, item.number, "@actionbot assign @reader", "triager")  # a triager's choice
    assert parse_marker(fake.issue(TRACK, item.number).body).self_assigned == ()
    await say(handlers, item.number, "@actionbot drop", "reader")
    assert fake.issue(TRACK, item.number).state == "closed"


async def test_assign_only_assignable_users(fake, handlers):
    item = new_item(fake)
    await say(handlers, item.number, "@actionbot assign @alice @stranger")
    assert fake.issue(TRACK, item.number).assignees == ["carol", "alice"]
    (text,) = bot_replies(fake, item.number)
    assert "`stranger` cannot be assigned" in text


async def test_link_and_unlink_persist_in_the_marker(fake, handlers):
    pr = fake.add_pull(OTHER, "Fix")
    item = new_item(fake, refs=[f"{OTHER}#{pr.number}"])
    other = fake.add_issue(OTHER, "Bug")
    c = await say(handlers, item.number, f"@actionbot link https://github.com/{OTHER}/issues/{other.number}", "carol")
    assert thumbs(fake, c) == ["+1"]
    body = fake.issue(TRACK, item.number).body
    assert parse_marker(body).links_added == (f"{OTHER}#{other.number}",)
    assert refs_in_body(body) == {f"{OTHER}#{pr.number}": "open", f"{OTHER}#{other.number}": "open"}
    await say(handlers, item.number, f"@actionbot unlink {OTHER}#{pr.number}", "carol")
    body = fake.issue(TRACK, item.number).body
    marker = parse_marker(body)
    assert marker.links_removed == (f"{OTHER}#{pr.number}",)
    assert list(refs_in_body(body)) == [f"{OTHER}#{other.number}"]
    assert marker.key == "k-1"  # identity untouched


async def test_link_of_closed_refs_sets_the_label(fake, handlers):
    done = fake.add_issue(OTHER, "Bug", state="closed")
    item = new_item(fake)
    await say(handlers, item.number, f"@actionbot link {OTHER}#{done.number}")
    assert "refs closed" in fake.issue(TRACK, item.number).labels


async def test_status_and_help_for_anyone(fake, handlers):
    pr = fake.add_pull(OTHER, "Fix")
    item = new_item(fake, refs=[f"{OTHER}#{pr.number}"])
    await say(handlers, item.number, "@actionbot status\n@actionbot help", "reader")
    (text,) = bot_replies(fake, item.number)
    assert "Owners: `carol`" in text and "Meeting: 2026-01-08" in text and f"{OTHER}#{pr.number} open" in text
    for spec in COMMANDS:
        assert f"`@actionbot {spec.name}" in text


async def test_track_makes_an_action_item_only_for_triage(fake, handlers):
    plain = fake.add_issue(TRACK, "Just an issue", "Please do X")
    await say(handlers, plain.number, "@actionbot track", "carol")
    assert "write or triage access to this repository" in bot_replies(fake, plain.number)[0]
    assert parse_marker(fake.issue(TRACK, plain.number).body) is None
    await say(handlers, plain.number, "@actionbot track", "triager")
    issue = fake.issue(TRACK, plain.number)
    assert parse_marker(issue.body) is not None and "action item" in issue.labels
    assert "Please do X" in issue.body


async def test_item_commands_on_an_ordinary_issue_say_so(fake, handlers):
    plain = fake.add_issue(TRACK, "Just an issue", "text")
    await say(handlers, plain.number, "@actionbot done")
    (text,) = bot_replies(fake, plain.number)
    assert "not an action item" in text and "`@actionbot track`" in text
    assert fake.issue(TRACK, plain.number).state == "open"


async def test_dashboard_command_creates_and_brings_back_the_dashboard(fake, handlers):
    item = new_item(fake)
    await say(handlers, item.number, "@actionbot dashboard")
    (dash,) = [i for i in fake.issues(TRACK) if i["title"] == "Action items"]
    assert "actionbot dashboard" in [lab["name"] for lab in dash["labels"]]
    assert f"[#{item.number}]" in dash["body"] and "### carol (1)" in dash["body"]
    fake.set_state(fake.issue(TRACK, dash["number"]), "closed", "completed", actor="maint")
    fake.reset_log()
    await say(handlers, item.number, "@actionbot dashboard")
    assert fake.issue(TRACK, dash["number"]).state == "open"
    assert len([i for i in fake.issues(TRACK) if i["title"] == "Action items"]) == 1


async def test_dashboard_rewritten_only_on_change(fake, handlers):
    from actionbot.core.config import DEFAULT_CONFIG
    from actionbot.engine.items import refresh_dashboard

    new_item(fake)
    assert (await refresh_dashboard(fake.gh, TRACK, DEFAULT_CONFIG)).action == "create"
    fake.reset_log()
    assert (await refresh_dashboard(fake.gh, TRACK, DEFAULT_CONFIG)).action == "none"
    assert fake.writes() == []
    new_item(fake, assignees=())
    assert (await refresh_dashboard(fake.gh, TRACK, DEFAULT_CONFIG)).action == "update"
    dash = next(i for i in fake.issues(TRACK) if i["title"] == "Action items")
    assert "### Needs an owner (1)" in dash["body"]
    # closed by a human: stays closed on upkeep
    fake.set_state(fake.issue(TRACK, dash["number"]), "closed", "completed", actor="maint")
    new_item(fake)
    assert (await refresh_dashboard(fake.gh, TRACK, DEFAULT_CONFIG)).action == "none"


# --- what never triggers -------------------------------------------------------------------


async def test_quoted_and_code_commands_are_ignored(fake, handlers):
    item = new_item(fake)
    fake.reset_log()
    await say(handlers, item.number, "> @actionbot done\n\n```\n@actionbot done\n```\n`@actionbot done`")
    assert fake.writes() == [] and fake.issue(TRACK, item.number).state == "open"
    assert fake.reads() == []  # not even a permission check


async def test_bot_comments_are_ignored(fake, handlers):
    item = new_item(fake)
    fake.reset_log()
    await say(handlers, item.number, "@actionbot done", "other-bot[bot]", "Bot")
    assert fake.calls == []
    assert fake.issue(TRACK, item.number).state == "open"


async def test_unknown_command_reply_names_it_and_offers_help(fake, handlers):
    item = new_item(fake)
    c = await say(handlers, item.number, "@actionbot frobnicate", "reader")
    (text,) = bot_replies(fake, item.number)
    assert "`frobnicate`" in text and "`@actionbot help`" in text and text.startswith("> `@actionbot frobnicate`")
    assert thumbs(fake, c) == []


async def test_several_commands_one_reply_in_order(fake, handlers):
    item = new_item(fake)
    c = await say(handlers, item.number, "@actionbot assign @alice\n@actionbot nope\n@actionbot done", "maint")
    issue = fake.issue(TRACK, item.number)
    assert "alice" in issue.assignees and issue.state == "closed"
    assert thumbs(fake, c) == ["+1"]
    (text,) = bot_replies(fake, item.number)
    assert "`nope`" in text


# --- agenda ------------------------------------------------------------------------------


async def test_agenda_on_any_issue_by_anyone_replies_with_the_review_list(fake, handlers):
    item = new_item(fake)
    plain = fake.add_issue(TRACK, "Meeting 2026-01-15", "agenda goes here")
    fake.reset_log()
    c = await say(handlers, plain.number, "@actionbot agenda", "stranger")
    (answer,) = bot_replies(fake, plain.number)
    assert answer.startswith("> `@actionbot agenda`\n\n@stranger: the review list for the next meeting")
    assert "#### carol (1)" in answer
    assert f"- [ ] Ship (`@carol`) #{item.number} · 2026-01-08 · " in answer
    assert "@carol)" not in answer.replace("`@carol`", "")  # an owner is shown, never notified
    assert thumbs(fake, c) == ["+1"]
    # only the reply and the reaction were written
    assert sorted(w.name for w in fake.writes()) == ["add_reaction", "create_comment"]
