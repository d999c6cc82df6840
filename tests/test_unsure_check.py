"""Unsure lines reach the check run of a sync and of a preview, over the in-memory GitHub."""

from __future__ import annotations

from typing import Any

import pytest

from actionbot.engine.read import Changed
from actionbot.engine.reconcile import reconcile
from tests.fakestore import MemoryStore
from tests.syncenv import EXAMPLE, NOTES, REPO, action_issues, head, setup_repo

STATEMENT = "The staging cluster is flaky since Monday"


async def sync(fake: MemoryStore, **kw: Any) -> Any:
    return await reconcile(fake.gh, REPO, **kw)


@pytest.fixture
def fake(memory_store: MemoryStore) -> MemoryStore:
    setup_repo(memory_store)
    return memory_store


async def test_a_preview_lists_the_unsure_line_and_opens_no_issue_for_it(fake: MemoryStore) -> None:
    await sync(fake)
    issues = len(action_issues(fake))
    base = head(fake)
    pr_head = fake.commit(REPO, {NOTES: EXAMPLE + f"- Brand new item (Carol)\n- {STATEMENT}\n"}, branch="notes-update")
    report = await sync(fake, ref=pr_head, before=base, changed=[Changed(NOTES)], preview=True)
    summary = fake.check_runs(REPO)[-1]["output"]["summary"]
    assert "Will open (1)" in summary and "Brand new item" in summary
    assert "### Not opened (unsure) (1)" in summary and f"`{STATEMENT}`" in summary
    assert [u.text for u in report.unsure] == [STATEMENT]

    merged = fake.commit(REPO, {NOTES: EXAMPLE + f"- Brand new item (Carol)\n- {STATEMENT}\n"})
    await sync(fake, ref=merged, before=base, changed=[Changed(NOTES)])
    assert len(action_issues(fake)) == issues + 1
    assert STATEMENT not in [i["title"] for i in action_issues(fake)]
    assert "### Not opened (unsure) (1)" in fake.check_runs(REPO)[-1]["output"]["summary"]
