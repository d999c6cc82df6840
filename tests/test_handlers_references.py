"""References closing, in memory: notices exactly once, `refs closed`, auto-close.

One test stays over HTTP: polling unchanged references twice costs no rate limit
(conditional requests answered 304), a property of the client's cache that the
in-memory GitHub does not model.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from actionbot.core.refstate import refs_in_body
from actionbot.engine.items import check_references
from actionbot.github.client import GitHubClient
from tests.fakegithub.state import iso
from tests.helpers import TRACK, item_body

OTHER = "jupyterhub/binderhub"  # the referenced PRs and issues


@pytest.fixture
def fake(memory_store):
    memory_store.add_repo(TRACK)
    memory_store.add_repo(OTHER)
    return memory_store


def payload(fake, repo: str, number: int, action: str, sender: str = "minrk") -> tuple[str, dict]:
    i = fake.issue(repo, number)
    obj = {
        "number": number,
        "title": i.title,
        "state": i.state,
        "html_url": f"https://github.com/{repo}/{'pull' if i.pull_request else 'issues'}/{number}",
        "closed_at": iso(i.closed_at) if i.closed_at else None,
        "updated_at": iso(i.updated_at),
        "user": {"login": i.user, "type": "User"},
    }
    base = {"action": action, "repository": {"full_name": repo}, "sender": {"login": sender, "type": "User"}}
    if i.pull_request:
        obj.update(
            merged=i.merged,
            merged_at=iso(i.merged_at) if i.merged_at else None,
            merged_by={"login": i.merged_by, "type": "User"} if i.merged_by else None,
        )
        return "pull_request", {**base, "number": number, "pull_request": obj}
    obj["state_reason"] = i.state_reason
    return "issues", {**base, "issue": obj}


async def deliver(handlers, repo, number, action, sender="minrk"):
    name, data = payload(handlers.store, repo, number, action, sender)
    await handlers.send(name, data)


def notices(fake, number: int) -> list[str]:
    return [c["body"] for c in fake.comments(TRACK, number) if "actionbot:ref-" in c["body"]]


def labels(fake, number: int) -> list[str]:
    return fake.issue(TRACK, number).labels


async def test_merged_pr_close_notifies_item_once_and_labels(fake, handlers):
    pr = fake.add_pull(OTHER, "Fix build")
    item = fake.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]), labels=["action item"])
    fake.set_state(pr, "closed", None, actor="minrk")
    pr.merged, pr.merged_by, pr.merged_at = True, "minrk", pr.closed_at
    await deliver(handlers, OTHER, pr.number, "closed")
    (text,) = notices(fake, item.number)
    assert f"**{OTHER}#{pr.number}**" in text and "was **merged** by **minrk**" in text
    assert "refs closed" in labels(fake, item.number)
    assert refs_in_body(fake.issue(TRACK, item.number).body) == {f"{OTHER}#{pr.number}": "merged"}
    # redelivery: nothing new
    fake.reset_log()
    await deliver(handlers, OTHER, pr.number, "closed")
    assert len(notices(fake, item.number)) == 1
    assert fake.writes() == []


async def test_unmerged_pr_close_says_so(fake, handlers):
    pr = fake.add_pull(OTHER, "Try something")
    item = fake.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]))
    fake.set_state(pr, "closed", None, actor="betatim")
    await deliver(handlers, OTHER, pr.number, "closed", sender="betatim")
    (text,) = notices(fake, item.number)
    assert "without being merged" in text and "by **betatim**" in text


async def test_issue_close_then_reopen_label_on_and_off(fake, handlers):
    a = fake.add_issue(OTHER, "Bug A")
    b = fake.add_issue(OTHER, "Bug B")
    item = fake.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{a.number}", f"{OTHER}#{b.number}"]))
    fake.set_state(a, "closed", "completed", actor="minrk")
    await deliver(handlers, OTHER, a.number, "closed")
    assert len(notices(fake, item.number)) == 1
    assert "refs closed" not in labels(fake, item.number)  # b still open
    fake.set_state(b, "closed", "completed", actor="minrk")
    await deliver(handlers, OTHER, b.number, "closed")
    assert "refs closed" in labels(fake, item.number)
    fake.clock.advance(60)
    fake.set_state(b, "open", None, actor="minrk")
    await deliver(handlers, OTHER, b.number, "reopened")
    texts = notices(fake, item.number)
    assert len(texts) == 3 and "was **reopened**" in texts[-1]
    assert "refs closed" not in labels(fake, item.number)
    assert fake.issue(TRACK, item.number).state == "open"


async def test_close_when_refs_closed_closes_the_item(fake, handlers):
    fake.commit(TRACK, {".github/actionbot.yml": "close_when_refs_closed: true\n"})
    pr = fake.add_pull(OTHER, "Fix")
    item = fake.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]))
    fake.set_state(pr, "closed", None, actor="minrk")
    await deliver(handlers, OTHER, pr.number, "closed")
    issue = fake.issue(TRACK, item.number)
    assert issue.state == "closed" and issue.state_reason == "completed"
    assert any("close_when_refs_closed" in c["body"] for c in fake.comments(TRACK, item.number))
    assert "refs closed" not in issue.labels


async def test_two_concurrent_handlers_post_once(fake, handlers):
    pr = fake.add_pull(OTHER, "Fix")
    item = fake.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]))
    fake.set_state(pr, "closed", None, actor="minrk")
    await asyncio.gather(*(deliver(handlers, OTHER, pr.number, "closed") for _ in range(2)))
    assert len(notices(fake, item.number)) == 1


async def test_racing_replicas_keep_only_the_oldest_copy(fake, handlers, monkeypatch):
    """Two processes (no shared lock) both post: the second look deletes the younger copy."""
    from actionbot.engine import items

    pr = fake.add_pull(OTHER, "Fix")
    item = fake.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]))
    fake.set_state(pr, "closed", None, actor="minrk")
    monkeypatch.setattr(items, "lock_for", lambda key: asyncio.Lock())  # no lock shared between "replicas"
    await asyncio.gather(*(deliver(handlers, OTHER, pr.number, "closed") for _ in range(2)))
    assert len(notices(fake, item.number)) == 1
    posted = fake.writes(f"/repos/{TRACK}/issues/{item.number}/comments")
    deleted = {c.args["comment_id"] for c in fake.writes() if c.name == "delete_comment"}
    assert len(posted) == 2 and len(deleted) == 1  # they did race, and the younger copy went


async def test_closed_items_get_no_notice_but_keep_labels_and_states_true(fake, handlers):
    pr = fake.add_pull(OTHER, "Fix")
    item = fake.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]), labels=["action item"])
    fake.close_issue(TRACK, item.number, actor="carol")
    fake.merge_pull(OTHER, pr.number, by="minrk")
    await deliver(handlers, OTHER, pr.number, "closed")
    assert notices(fake, item.number) == []
    assert "refs closed" in labels(fake, item.number)
    assert refs_in_body(fake.issue_json(TRACK, item.number)["body"]) == {f"{OTHER}#{pr.number}": "merged"}
    assert fake.issue(TRACK, item.number).state == "closed"  # never reopened nor re-closed
    fake.reopen_issue(OTHER, pr.number, actor="minrk")
    await deliver(handlers, OTHER, pr.number, "reopened")
    assert notices(fake, item.number) == [] and "refs closed" not in labels(fake, item.number)


async def test_configuration_read_once_per_delivery_not_per_item(fake, handlers):
    fake.commit(TRACK, {".github/actionbot.yml": "close_when_refs_closed: false\n"})
    pr = fake.add_pull(OTHER, "Fix")
    items = [fake.add_issue(TRACK, f"Ship {i}", item_body([f"{OTHER}#{pr.number}"])) for i in range(3)]
    fake.set_state(pr, "closed", None, actor="minrk")
    fake.reset_log()
    await deliver(handlers, OTHER, pr.number, "closed")
    assert all(len(notices(fake, i.number)) == 1 for i in items)
    config_reads = [r for r in fake.reads() if r.path.endswith("/contents/.github/actionbot.yml")]
    assert len(config_reads) == 1


async def test_items_found_through_the_timeline_not_by_listing(fake, handlers):
    pr = fake.add_pull(OTHER, "Fix")
    fake.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]))
    fake.set_state(pr, "closed", None, actor="minrk")
    fake.reset_log()
    await deliver(handlers, OTHER, pr.number, "closed")
    paths = [r.path for r in fake.calls]
    assert any(p.endswith(f"/issues/{pr.number}/timeline") for p in paths)
    assert not any(p.endswith(f"/repos/{TRACK}/issues") for p in paths)


async def test_mentions_that_are_not_listed_references_are_left_alone(fake, handlers):
    pr = fake.add_pull(OTHER, "Fix")
    plain = fake.add_issue(TRACK, "Chat", f"see {OTHER}#{pr.number}")  # not an action item
    listed_elsewhere = fake.add_issue(TRACK, "Other", item_body([]) + f"\n\nsee {OTHER}#{pr.number}")
    fake.set_state(pr, "closed", None, actor="minrk")
    await deliver(handlers, OTHER, pr.number, "closed")
    assert notices(fake, plain.number) == [] and notices(fake, listed_elsewhere.number) == []


async def test_polling_references_in_a_repo_without_the_app(fake, handlers):
    fake.add_repo("elsewhere/lib")  # no installation: no webhook will ever come
    fake.commit(TRACK, {".github/actionbot.yml": "dashboard: true\n"})
    ref = fake.add_issue("elsewhere/lib", "Upstream bug")
    item = fake.add_issue(TRACK, "Ship", item_body([f"elsewhere/lib#{ref.number}"]), labels=["action item"])
    assert await check_references(fake.gh, TRACK) == 0  # first reading: nothing changed
    fake.reset_log()
    assert await check_references(fake.gh, TRACK) == 0
    assert fake.reads() and fake.writes() == []
    fake.set_state(ref, "closed", "completed", actor="upstream-dev")
    assert await check_references(fake.gh, TRACK) == 1
    (text,) = notices(fake, item.number)
    assert f"**elsewhere/lib#{ref.number}**" in text and "by **upstream-dev**" in text
    assert "refs closed" in labels(fake, item.number)
    # the body now says closed: the next check has nothing to report
    assert await check_references(fake.gh, TRACK) == 0
    assert len(notices(fake, item.number)) == 1


async def test_polling_unchanged_references_again_costs_no_rate_limit(fake_github):
    """Over HTTP: every read of a second poll with nothing changed is a conditional request answered 304."""
    fake_github.add_repo(TRACK)
    fake_github.add_repo("elsewhere/lib")
    fake_github.add_token("tok")
    fake_github.commit(TRACK, {".github/actionbot.yml": "dashboard: true\n"})
    ref = fake_github.add_issue("elsewhere/lib", "Upstream bug")
    fake_github.add_issue(TRACK, "Ship", item_body([f"elsewhere/lib#{ref.number}"]), labels=["action item"])
    async with aiohttp.ClientSession() as session:
        gh = GitHubClient.from_token(session, "tok", fake_github.url, write_interval=0)
        assert await check_references(gh, TRACK) == 0
        fake_github.reset_log()
        assert await check_references(gh, TRACK) == 0
    gets = fake_github.reads()
    assert gets and all(r.status == 304 and not r.counted for r in gets), gets
    assert fake_github.writes() == []


async def test_webhook_and_polling_report_a_close_once(fake, handlers):
    pr = fake.add_pull(OTHER, "Fix")
    item = fake.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]), labels=["action item"])
    fake.set_state(pr, "closed", None, actor="minrk")
    pr.merged, pr.merged_by, pr.merged_at = True, "minrk", pr.closed_at
    await check_references(fake.gh, TRACK)
    await deliver(handlers, OTHER, pr.number, "closed")
    assert len(notices(fake, item.number)) == 1


SECRET_REPO = "team/secret"


async def test_a_public_item_never_shows_a_private_references_title_or_state(fake, handlers):
    fake.add_repo(SECRET_REPO, private=True)
    pr = fake.add_pull(SECRET_REPO, "Acquire competitor quietly")
    item = fake.add_issue(TRACK, "Ship", item_body([f"{SECRET_REPO}#{pr.number}"]), labels=["action item"])
    fake.set_state(pr, "closed", None, actor="ceo")
    name, data = payload(fake, SECRET_REPO, pr.number, "closed", sender="ceo")
    data["repository"]["private"] = True
    await handlers.send(name, data)
    (text,) = notices(fake, item.number)
    assert "a referenced item in a private repository" in text.lower()
    for secret in ("Acquire", "competitor", "ceo", SECRET_REPO, "closed by", "merged"):
        assert secret not in text
    await handlers.send(name, data)  # a redelivery: once
    assert len(notices(fake, item.number)) == 1


async def test_the_periodic_check_hides_a_private_reference_on_a_public_item_too(fake, handlers):
    from actionbot.core.config import DEFAULT_CONFIG
    from actionbot.engine.items import check_item

    fake.add_repo(SECRET_REPO, private=True)
    issue = fake.add_issue(SECRET_REPO, "Quiet plan")
    item = fake.add_issue(TRACK, "Ship", item_body([f"{SECRET_REPO}#{issue.number}"]), labels=["action item"])
    fake.set_state(issue, "closed", "completed", actor="ceo")
    assert await check_item(fake.gh, TRACK, fake.issue_json(TRACK, item.number), DEFAULT_CONFIG) == 1
    (text,) = notices(fake, item.number)
    assert "private repository" in text and "Quiet plan" not in text and SECRET_REPO not in text
