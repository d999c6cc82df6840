"""Owned sub-items become their parent's sub-issues: the pure choice, then the sync over the in-memory GitHub."""

from __future__ import annotations

from typing import Any

import pytest

from actionbot.engine.reconcile import reconcile
from actionbot.engine.subissues import MAX_SUB_ISSUES, Link, wanted_links
from tests.fakestore import MemoryStore
from tests.syncenv import EXAMPLE, NOTES, REPO, by_title, head, setup_repo

PARENT = "Plan the blog posts for the spring"
CHILDREN = ("Binder browser extension", "What's new in JupyterHub")


def issue(n: int, *, parent: str | None = None, summary: int | None = 0, reports_parent: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"number": n, "id": 1000 + n}
    if reports_parent:
        data["parent_issue_url"] = parent
    if summary is not None:
        data["sub_issues_summary"] = {"total": summary, "completed": 0, "percent_completed": 0}
    return data


NUMBERS = {"p": 1, "a": 2, "b": 3}


def test_children_without_a_parent_are_linked_others_left_alone() -> None:
    issues = {1: issue(1, summary=1), 2: issue(2), 3: issue(3, parent="https://api.github.com/repos/o/r/issues/9")}
    assert wanted_links([("p", ["a", "b"])], NUMBERS, issues).links == (Link(1, 2, 1002),)
    assert wanted_links([("p", ["a", "b"])], NUMBERS, issues, skip={2}).links == ()
    assert wanted_links([("p", ["a"])], {"a": 2}, issues).links == ()  # no parent issue (yet)


def test_without_the_childs_parent_the_counts_decide_whether_to_look() -> None:
    quiet = {1: issue(1, summary=2), 2: issue(2, reports_parent=False), 3: issue(3, reports_parent=False)}
    assert wanted_links([("p", ["a", "b"])], NUMBERS, quiet) == wanted_links([], {}, {})  # all there: no request
    short = {**quiet, 1: issue(1, summary=1)}
    assert wanted_links([("p", ["a", "b"])], NUMBERS, short).unknown == {1: (Link(1, 2, 1002), Link(1, 3, 1003))}
    # Neither field (a GitHub Enterprise Server without sub-issues): nothing is tried at all.
    old = {n: issue(n, summary=None, reports_parent=False) for n in (1, 2, 3)}
    assert wanted_links([("p", ["a", "b"])], NUMBERS, old) == wanted_links([], {}, {})


def test_the_limit_of_sub_issues_is_respected() -> None:
    issues = {1: issue(1, summary=MAX_SUB_ISSUES - 1), 2: issue(2), 3: issue(3)}
    assert wanted_links([("p", ["a", "b"])], NUMBERS, issues).links == (Link(1, 2, 1002),)


@pytest.fixture
def repo(memory_store: MemoryStore) -> MemoryStore:
    setup_repo(memory_store)
    return memory_store


def sub_numbers(fake: Any, number: int) -> list[int]:
    parent = fake.issue(REPO, number)
    return sorted(fake.issues_by_id[i].number for i in parent.sub_issue_ids)


def sub_issue_requests(fake: MemoryStore) -> list[Any]:
    return [c for c in fake.calls if c.path.endswith("/sub_issues")]


async def test_sync_makes_owned_sub_items_sub_issues_once(repo: Any) -> None:
    fake = repo
    gh = fake.gh
    report = await reconcile(gh, REPO)
    assert report.ok
    issues = by_title(fake)
    assert sub_numbers(fake, issues[PARENT]["number"]) == sorted(issues[c]["number"] for c in CHILDREN)
    for c in CHILDREN:  # GitHub's own view: each child names its parent
        assert fake.issue_json(REPO, issues[c]["number"])["parent_issue_url"].endswith(f"/issues/{issues[PARENT]['number']}")
    assert [r.status for r in sub_issue_requests(fake)] == [201, 201]

    fake.reset_log()
    again = await reconcile(gh, REPO)
    assert again.ok and again.applied == [] and fake.writes() == []
    assert sub_issue_requests(fake) == []  # decided from the listing: not even a read


async def test_a_sub_item_added_later_joins_its_parent(repo: Any) -> None:
    fake = repo
    gh = fake.gh
    await reconcile(gh, REPO)
    text = EXAMPLE.replace("  - What's new in JupyterHub (Chris H)\n",
                           "  - What's new in JupyterHub (Chris H)\n  - Sprint recap (Carol)\n")
    assert text != EXAMPLE
    fake.commit(REPO, files={NOTES: text})
    fake.reset_log()
    assert (await reconcile(gh, REPO, ref=head(fake))).ok
    issues = by_title(fake)
    assert issues["Sprint recap"]["number"] in sub_numbers(fake, issues[PARENT]["number"])
    assert len(sub_issue_requests(fake)) == 1


@pytest.mark.parametrize("status", [404, 403, 422])
async def test_sub_issues_refused_never_fail_the_run_and_are_retried_later(repo: Any, status: int) -> None:
    fake = repo
    fake.fault("add_sub_issue", status, "Not Found" if status == 404 else "refused", times=10)
    gh = fake.gh
    report = await reconcile(gh, REPO)
    assert report.ok and not report.failed
    parent = by_title(fake)[PARENT]["number"]
    assert sub_numbers(fake, parent) == []
    tried = [r.status for r in sub_issue_requests(fake)]
    assert tried == ([status] if status in (403, 404) else [status, status])  # "not available": asked once
    fake.faults.clear()
    assert (await reconcile(gh, REPO)).ok  # the next run (a push, the periodic resync) links them
    assert len(sub_numbers(fake, parent)) == 2


async def test_a_child_a_human_put_under_another_parent_stays_there(repo: Any) -> None:
    fake = repo
    gh = fake.gh
    fake.fault("add_sub_issue", 404, "Not Found")
    await reconcile(gh, REPO)
    issues = by_title(fake)
    epic = fake.add_issue(REPO, "Spring communications epic")
    child = fake.issue(REPO, issues[CHILDREN[0]]["number"])
    epic.sub_issue_ids.append(child.id)
    child.parent_id = epic.id
    fake.reset_log()
    await reconcile(gh, REPO)
    assert sub_numbers(fake, issues[PARENT]["number"]) == [issues[CHILDREN[1]]["number"]]
    assert sub_numbers(fake, epic.number) == [child.number]
    assert [r.status for r in sub_issue_requests(fake)] == [201]


async def test_the_fake_refuses_a_sub_issue_twice_as_github_does(repo: Any) -> None:
    from gidgethub import BadRequest

    fake = repo
    parent, child = fake.add_issue(REPO, "parent"), fake.add_issue(REPO, "child")
    gh = fake.gh
    await gh.add_sub_issue(REPO, parent.number, child.id)
    with pytest.raises(BadRequest) as exc:
        await gh.add_sub_issue(REPO, parent.number, child.id)
    assert int(exc.value.status_code) == 422
    assert [s["number"] for s in await gh.list_sub_issues(REPO, parent.number)] == [child.number]
