"""References closing, over the fake GitHub: notices exactly once, `refs closed`, auto-close."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from gidgethub.sansio import Event

from actionbot.core.refstate import refs_in_body
from actionbot.github.client import GitHubClient
from actionbot.service.context import Context
from actionbot.service.handlers.references import router
from tests.fakegithub.state import iso
from tests.helpers import TRACK, item_body

OTHER = "jupyterhub/binderhub"  # the referenced PRs and issues


@pytest.fixture
async def gh(fake_github):
    fake_github.add_repo(TRACK)
    fake_github.add_repo(OTHER)
    fake_github.add_token("tok")
    async with aiohttp.ClientSession() as session:
        yield GitHubClient.from_token(session, "tok", fake_github.url, write_interval=0)


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


async def deliver(gh, fake, repo, number, action, sender="minrk"):
    name, data = payload(fake, repo, number, action, sender)
    await router.dispatch(Event(data, event=name, delivery_id="d"), gh, Context())


def notices(fake, number: int) -> list[str]:
    return [c["body"] for c in fake.comments(TRACK, number) if "actionbot:ref-" in c["body"]]


def labels(fake, number: int) -> list[str]:
    return fake.issue(TRACK, number).labels


async def test_merged_pr_close_notifies_item_once_and_labels(fake_github, gh):
    pr = fake_github.add_pull(OTHER, "Fix build")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]), labels=["action item"])
    fake_github.set_state(pr, "closed", None, actor="minrk")
    pr.merged, pr.merged_by, pr.merged_at = True, "minrk", pr.closed_at
    await deliver(gh, fake_github, OTHER, pr.number, "closed")
    (text,) = notices(fake_github, item.number)
    assert f"**{OTHER}#{pr.number}**" in text and "was **merged** by **minrk**" in text
    assert "refs closed" in labels(fake_github, item.number)
    assert refs_in_body(fake_github.issue(TRACK, item.number).body) == {f"{OTHER}#{pr.number}": "merged"}
    # redelivery: nothing new
    fake_github.reset_log()
    await deliver(gh, fake_github, OTHER, pr.number, "closed")
    assert len(notices(fake_github, item.number)) == 1
    assert fake_github.writes() == []


async def test_unmerged_pr_close_says_so(fake_github, gh):
    pr = fake_github.add_pull(OTHER, "Try something")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]))
    fake_github.set_state(pr, "closed", None, actor="betatim")
    await deliver(gh, fake_github, OTHER, pr.number, "closed", sender="betatim")
    (text,) = notices(fake_github, item.number)
    assert "without being merged" in text and "by **betatim**" in text


async def test_issue_close_then_reopen_label_on_and_off(fake_github, gh):
    a = fake_github.add_issue(OTHER, "Bug A")
    b = fake_github.add_issue(OTHER, "Bug B")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{a.number}", f"{OTHER}#{b.number}"]))
    fake_github.set_state(a, "closed", "completed", actor="minrk")
    await deliver(gh, fake_github, OTHER, a.number, "closed")
    assert len(notices(fake_github, item.number)) == 1
    assert "refs closed" not in labels(fake_github, item.number)  # b still open
    fake_github.set_state(b, "closed", "completed", actor="minrk")
    await deliver(gh, fake_github, OTHER, b.number, "closed")
    assert "refs closed" in labels(fake_github, item.number)
    fake_github.clock.advance(60)
    fake_github.set_state(b, "open", None, actor="minrk")
    await deliver(gh, fake_github, OTHER, b.number, "reopened")
    texts = notices(fake_github, item.number)
    assert len(texts) == 3 and "was **reopened**" in texts[-1]
    assert "refs closed" not in labels(fake_github, item.number)
    assert fake_github.issue(TRACK, item.number).state == "open"


async def test_close_when_refs_closed_closes_the_item(fake_github, gh):
    fake_github.commit(TRACK, {".github/actionbot.yml": "close_when_refs_closed: true\n"})
    pr = fake_github.add_pull(OTHER, "Fix")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]))
    fake_github.set_state(pr, "closed", None, actor="minrk")
    await deliver(gh, fake_github, OTHER, pr.number, "closed")
    issue = fake_github.issue(TRACK, item.number)
    assert issue.state == "closed" and issue.state_reason == "completed"
    assert any("close_when_refs_closed" in c["body"] for c in fake_github.comments(TRACK, item.number))
    assert "refs closed" not in issue.labels


async def test_two_concurrent_handlers_post_once(fake_github, gh):
    pr = fake_github.add_pull(OTHER, "Fix")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]))
    fake_github.set_state(pr, "closed", None, actor="minrk")
    await asyncio.gather(*(deliver(gh, fake_github, OTHER, pr.number, "closed") for _ in range(2)))
    assert len(notices(fake_github, item.number)) == 1


async def test_racing_replicas_keep_only_the_oldest_copy(fake_github, gh, monkeypatch):
    """Two processes (no shared lock) both post: the second look deletes the younger copy."""
    from actionbot.engine import items

    pr = fake_github.add_pull(OTHER, "Fix")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]))
    fake_github.set_state(pr, "closed", None, actor="minrk")
    monkeypatch.setattr(items, "lock_for", lambda key: asyncio.Lock())  # no lock shared between "replicas"
    await asyncio.gather(*(deliver(gh, fake_github, OTHER, pr.number, "closed") for _ in range(2)))
    assert len(notices(fake_github, item.number)) == 1


async def test_closed_items_get_no_notice_but_keep_labels_and_states_true(fake_github, gh):
    pr = fake_github.add_pull(OTHER, "Fix")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]), labels=["action item"])
    fake_github.close_issue(TRACK, item.number, actor="carol")
    fake_github.merge_pull(OTHER, pr.number, by="minrk")
    await deliver(gh, fake_github, OTHER, pr.number, "closed")
    assert notices(fake_github, item.number) == []
    assert "refs closed" in labels(fake_github, item.number)
    assert refs_in_body(fake_github.issue_json(TRACK, item.number)["body"]) == {f"{OTHER}#{pr.number}": "merged"}
    assert fake_github.issue(TRACK, item.number).state == "closed"  # never reopened nor re-closed
    fake_github.reopen_issue(OTHER, pr.number, actor="minrk")
    await deliver(gh, fake_github, OTHER, pr.number, "reopened")
    assert notices(fake_github, item.number) == [] and "refs closed" not in labels(fake_github, item.number)


async def test_configuration_read_once_per_delivery_not_per_item(fake_github, gh):
    fake_github.commit(TRACK, {".github/actionbot.yml": "close_when_refs_closed: false\n"})
    pr = fake_github.add_pull(OTHER, "Fix")
    items = [fake_github.add_issue(TRACK, f"Ship {i}", item_body([f"{OTHER}#{pr.number}"])) for i in range(3)]
    fake_github.set_state(pr, "closed", None, actor="minrk")
    fake_github.reset_log()
    await deliver(gh, fake_github, OTHER, pr.number, "closed")
    assert all(len(notices(fake_github, i.number)) == 1 for i in items)
    config_reads = [r for r in fake_github.reads() if r.path.endswith("/contents/.github/actionbot.yml")]
    assert len(config_reads) == 1


async def test_items_found_through_the_timeline_not_by_listing(fake_github, gh):
    pr = fake_github.add_pull(OTHER, "Fix")
    fake_github.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]))
    fake_github.set_state(pr, "closed", None, actor="minrk")
    fake_github.reset_log()
    await deliver(gh, fake_github, OTHER, pr.number, "closed")
    paths = [r.path for r in fake_github.requests]
    assert any(p.endswith(f"/issues/{pr.number}/timeline") for p in paths)
    assert not any(p.endswith(f"/repos/{TRACK}/issues") for p in paths)


async def test_mentions_that_are_not_listed_references_are_left_alone(fake_github, gh):
    pr = fake_github.add_pull(OTHER, "Fix")
    plain = fake_github.add_issue(TRACK, "Chat", f"see {OTHER}#{pr.number}")  # not an action item
    listed_elsewhere = fake_github.add_issue(TRACK, "Other", item_body([]) + f"\n\nsee {OTHER}#{pr.number}")
    fake_github.set_state(pr, "closed", None, actor="minrk")
    await deliver(gh, fake_github, OTHER, pr.number, "closed")
    assert notices(fake_github, plain.number) == [] and notices(fake_github, listed_elsewhere.number) == []


async def test_polling_references_in_a_repo_without_the_app(fake_github, gh):
    from actionbot.engine.items import check_references

    fake_github.add_repo("elsewhere/lib")  # no installation: no webhook will ever come
    fake_github.commit(TRACK, {".github/actionbot.yml": "dashboard: true\n"})
    ref = fake_github.add_issue("elsewhere/lib", "Upstream bug")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"elsewhere/lib#{ref.number}"]), labels=["action item"])
    assert await check_references(gh, TRACK) == 0  # first reading: nothing changed
    fake_github.reset_log()
    assert await check_references(gh, TRACK) == 0
    gets = fake_github.reads()
    assert gets and all(r.status == 304 and not r.counted for r in gets), gets
    assert fake_github.writes() == []
    fake_github.set_state(ref, "closed", "completed", actor="upstream-dev")
    assert await check_references(gh, TRACK) == 1
    (text,) = notices(fake_github, item.number)
    assert f"**elsewhere/lib#{ref.number}**" in text and "by **upstream-dev**" in text
    assert "refs closed" in labels(fake_github, item.number)
    # the body now says closed: the next check has nothing to report
    assert await check_references(gh, TRACK) == 0
    assert len(notices(fake_github, item.number)) == 1


async def test_webhook_and_polling_report_a_close_once(fake_github, gh):
    from actionbot.engine.items import check_references

    pr = fake_github.add_pull(OTHER, "Fix")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"{OTHER}#{pr.number}"]), labels=["action item"])
    fake_github.set_state(pr, "closed", None, actor="minrk")
    pr.merged, pr.merged_by, pr.merged_at = True, "minrk", pr.closed_at
    await check_references(gh, TRACK)
    await deliver(gh, fake_github, OTHER, pr.number, "closed")
    assert len(notices(fake_github, item.number)) == 1


SECRET_REPO = "team/secret"


async def test_a_public_item_never_shows_a_private_references_title_or_state(fake_github, gh):
    fake_github.add_repo(SECRET_REPO, private=True)
    pr = fake_github.add_pull(SECRET_REPO, "Acquire competitor quietly")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"{SECRET_REPO}#{pr.number}"]), labels=["action item"])
    fake_github.set_state(pr, "closed", None, actor="ceo")
    name, data = payload(fake_github, SECRET_REPO, pr.number, "closed", sender="ceo")
    data["repository"]["private"] = True
    await router.dispatch(Event(data, event=name, delivery_id="d"), gh, Context())
    (text,) = notices(fake_github, item.number)
    assert "a referenced item in a private repository" in text.lower()
    for secret in ("Acquire", "competitor", "ceo", SECRET_REPO, "closed by", "merged"):
        assert secret not in text
    await router.dispatch(Event(data, event=name, delivery_id="d2"), gh, Context())  # a redelivery: once
    assert len(notices(fake_github, item.number)) == 1


async def test_the_periodic_check_hides_a_private_reference_on_a_public_item_too(fake_github, gh):
    from actionbot.core.config import DEFAULT_CONFIG
    from actionbot.engine.items import check_item

    fake_github.add_repo(SECRET_REPO, private=True)
    issue = fake_github.add_issue(SECRET_REPO, "Quiet plan")
    item = fake_github.add_issue(TRACK, "Ship", item_body([f"{SECRET_REPO}#{issue.number}"]), labels=["action item"])
    fake_github.set_state(issue, "closed", "completed", actor="ceo")
    assert await check_item(gh, TRACK, fake_github.issue_json(TRACK, item.number), DEFAULT_CONFIG) == 1
    (text,) = notices(fake_github, item.number)
    assert "private repository" in text and "Quiet plan" not in text and SECRET_REPO not in text
