"""Operations -> requests over the in-memory GitHub: one request per operation, lost answers never
duplicate; over the HTTP fake, the client's own retry of an idempotent edit."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from actionbot.core.operations import (
    CloseIssue,
    Comment,
    CreateIssue,
    EnsureLabel,
    Plan,
    UpdateIssue,
)
from actionbot.core.render import Marker, comment_marker, issue_placeholder, marker_comment
from actionbot.engine.apply import apply_plan
from tests.fakestore import MemoryStore
from tests.syncenv import REPO, client, setup_repo

LABEL = "action item"


def body(key: str, extra: str = "") -> str:
    return f"{marker_comment(Marker(key=key, repo=REPO, path='n.md', meeting='2025-03-06'))}\n{extra}"


@pytest.fixture
def fake(memory_store: MemoryStore) -> MemoryStore:
    setup_repo(memory_store)
    return memory_store


async def run(fake: MemoryStore, *ops: Any, matched: dict[str, int] | None = None) -> Any:
    return await apply_plan(fake.gh, REPO, Plan(tuple(ops), matched=matched or {}), action_label=LABEL)


async def run_http(fake: Any, *ops: Any) -> Any:
    async with aiohttp.ClientSession() as session:
        return await apply_plan(client(session, fake), REPO, Plan(tuple(ops)), action_label=LABEL)


async def test_create_sets_labels_and_assignees_in_one_request(fake: Any) -> None:
    fake.reset_log()
    result = await run(fake, CreateIssue("k1", "Do it", body("k1"), (LABEL, "meeting: 2025-03-06"), ("carol",)))
    assert [(w.method, w.path) for w in fake.writes()] == [("POST", f"/repos/{REPO}/issues")]
    issue = fake.issue_json(REPO, result.numbers["k1"])
    assert [a["login"] for a in issue["assignees"]] == ["carol"]
    assert {lb["name"] for lb in issue["labels"]} == {LABEL, "meeting: 2025-03-06"}
    assert result.applied[0].url == issue["html_url"]


async def test_sub_item_numbers_are_filled_in_the_parent_body(fake: Any) -> None:
    child = CreateIssue("c0ffee", "Child", body("c0ffee"), (LABEL,), ())
    parent = CreateIssue("beef", "Parent", body("beef", f"- {issue_placeholder('c0ffee')} Child"), (LABEL,), ())
    result = await run(fake, child, parent)
    assert f"- #{result.numbers['c0ffee']} Child" in fake.issue_json(REPO, result.numbers["beef"])["body"]


@pytest.mark.parametrize("answer", [502, 0])  # 0: the connection dropped
async def test_lost_create_is_found_by_its_marker_not_repeated(fake: Any, answer: int) -> None:
    fake.fault("create_issue", answer, lost=True)
    result = await run(fake, CreateIssue("k1", "Do it", body("k1"), (LABEL,), ()))
    assert not result.failed and "found by its marker" in result.applied[0].note
    assert len(fake.issues(REPO)) == 1
    assert [w.method for w in fake.writes("/issues")] == ["POST"]


async def test_create_refused_before_applying_is_made_again(fake: Any) -> None:
    fake.fault("create_issue", 502)
    result = await run(fake, CreateIssue("k1", "Do it", body("k1"), (LABEL,), ()))
    assert not result.failed and len(fake.issues(REPO)) == 1
    assert [w.method for w in fake.writes("/issues")] == ["POST", "POST"]


async def test_create_that_keeps_failing_is_reported_not_raised(fake: Any) -> None:
    fake.fault("create_issue", 502, times=10)
    result = await run(fake, CreateIssue("k1", "A", body("k1"), (LABEL,), ()), EnsureLabel("x", "ededed", "d"))
    assert len(result.failed) == 1 and "502" in result.failed[0].error
    assert [a.op.name for a in result.applied] == ["x"]  # the next operation still ran
    assert fake.issues(REPO) == []


async def test_unassignable_login_on_create_is_dropped_not_fatal(fake: Any) -> None:
    result = await run(fake, CreateIssue("k1", "A", body("k1"), (LABEL,), ("stranger",)))
    assert not result.failed and "without assignees" in result.applied[0].note
    assert fake.issue_json(REPO, result.numbers["k1"])["assignees"] == []


async def test_label_that_already_exists_counts_as_made(fake: Any) -> None:
    fake.add_label(REPO, LABEL, "000000")
    fake.fault("create_label", 502, lost=True)
    result = await run(fake, EnsureLabel(LABEL, "1d76db", "An action item"), EnsureLabel("new one", "1d76db", "New"))
    assert not result.failed
    made = {lb["name"]: lb for lb in fake.labels(REPO)}
    assert made["new one"]["description"] == "New" and made["new one"]["color"] == "1d76db"


async def test_update_patches_only_changed_fields_and_survives_5xx(fake_github: Any) -> None:
    fake = fake_github
    setup_repo(fake)
    n = fake.add_issue(REPO, "Old", body("k1"), labels=[LABEL]).number
    fake.fault("PATCH", rf"/issues/{n}$", "status", status=502)
    fake.reset_log()
    result = await run_http(fake, UpdateIssue(n, title="New", labels=(LABEL, "needs owner")))
    assert not result.failed
    patches = [w for w in fake.writes() if w.method == "PATCH"]
    assert all(set(w.body) == {"title", "labels"} for w in patches) and len(patches) == 2
    assert fake.issue_json(REPO, n)["title"] == "New"


async def test_lost_comment_is_not_posted_twice(fake: Any) -> None:
    n = fake.add_issue(REPO, "Item", body("k1"), labels=[LABEL]).number
    fake.fault("create_comment", 0, lost=True)  # done, then the connection dropped
    text = f"{comment_marker('carried-over', 'k1', '2025-04-03')}\nListed again."
    result = await run(fake, Comment(n, text, "k1", "carried-over"))
    assert not result.failed and len(fake.comments(REPO, n)) == 1


async def test_close_posts_its_comment_then_closes_with_the_reason(fake: Any) -> None:
    n = fake.add_issue(REPO, "Item", body("k1"), labels=[LABEL]).number
    result = await run(fake, CloseIssue(n, "completed", f"{comment_marker('done', 'k1')}\nDone.", "k1"))
    assert not result.failed
    issue = fake.issue_json(REPO, n)
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    assert len(fake.comments(REPO, n)) == 1
