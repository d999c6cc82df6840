"""The dashboard's upkeep by the sync engine, over the in-memory GitHub: created on the first
sync, rewritten only when what it shows changed, never on dry runs, off with `dashboard: false`."""

from __future__ import annotations

from typing import Any

import pytest

from actionbot.core.dashboard import TITLE, is_dashboard
from actionbot.engine.read import Changed
from actionbot.engine.reconcile import reconcile
from tests.fakestore import MemoryStore
from tests.syncenv import CONFIG, EXAMPLE, NOTES, REPO, head, setup_repo

DASH_LABEL = "actionbot dashboard"


async def sync(fake: MemoryStore, **kw: Any) -> Any:
    return await reconcile(fake.gh, REPO, **kw)


async def push(fake: Any, text: str) -> Any:
    before = head(fake)
    after = fake.commit(REPO, {NOTES: text})
    return await sync(fake, ref=after, before=before, changed=[Changed(NOTES)])


def dashboards(fake: Any) -> list[dict[str, Any]]:
    return [i for i in fake.issues(REPO) if is_dashboard(i.get("body"))]


def dash_writes(fake: Any, number: int) -> list[Any]:
    return [w for w in fake.writes(f"/repos/{REPO}/issues/{number}") if w.path == f"/repos/{REPO}/issues/{number}"]


async def test_first_sync_creates_the_dashboard_with_its_own_label(memory_store: MemoryStore) -> None:
    setup_repo(memory_store)
    await sync(memory_store)
    (dash,) = dashboards(memory_store)
    assert dash["title"] == TITLE and dash["state"] == "open"
    assert [lb["name"] for lb in dash["labels"]] == [DASH_LABEL]  # never the action-item label
    assert "Write the incident report for the February outage" in dash["body"]
    assert "Needs an owner" in dash["body"]
    assert DASH_LABEL in [lb["name"] for lb in memory_store.labels(REPO)]


async def test_dashboard_rewritten_only_when_what_it_shows_changed(memory_store: MemoryStore) -> None:
    setup_repo(memory_store)
    await sync(memory_store)
    (dash,) = dashboards(memory_store)
    memory_store.reset_log()
    await sync(memory_store)  # unchanged re-run
    assert memory_store.writes() == []
    # A change the dashboard does not show (a new task in an item's body): the item is edited, the dashboard not.
    report = await push(memory_store, EXAMPLE.replace("  - PyPI\n", "  - PyPI\n  - Conda-forge\n"))
    assert report.applied and dash_writes(memory_store, dash["number"]) == []
    # A retitled item is shown there: one rewrite.
    await push(memory_store, EXAMPLE.replace("February outage", "February outages"))
    assert len(dash_writes(memory_store, dash["number"])) == 1
    assert "February outages" in dashboards(memory_store)[0]["body"]


async def test_dashboard_off_in_the_configuration(memory_store: MemoryStore) -> None:
    setup_repo(memory_store, config=CONFIG + "dashboard: false\n")
    await sync(memory_store)
    assert dashboards(memory_store) == []
    assert DASH_LABEL not in [lb["name"] for lb in memory_store.labels(REPO)]


@pytest.mark.parametrize("kw", [{"dry_run": True}, {"preview": True}])
async def test_dry_runs_and_previews_leave_the_dashboard_alone(memory_store: MemoryStore, kw: dict[str, Any]) -> None:
    setup_repo(memory_store)
    await sync(memory_store, **kw)
    assert dashboards(memory_store) == []


async def test_a_dashboard_closed_by_a_human_stays_closed(memory_store: MemoryStore) -> None:
    setup_repo(memory_store)
    await sync(memory_store)
    (dash,) = dashboards(memory_store)
    memory_store.close_issue(REPO, dash["number"], actor="maint")
    await push(memory_store, EXAMPLE.replace("February outage", "February outages"))
    (after,) = dashboards(memory_store)
    assert after["state"] == "closed" and "February outages" not in after["body"]
