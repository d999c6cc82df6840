"""The dashboard's upkeep by the sync engine, over the fake GitHub: created on the first
sync, rewritten only when what it shows changed, never on dry runs, off with `dashboard: false`."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from actionbot.core.dashboard import TITLE, is_dashboard
from actionbot.engine.read import Changed
from actionbot.engine.reconcile import reconcile
from tests.syncenv import CONFIG, EXAMPLE, NOTES, REPO, client, head, setup_repo

DASH_LABEL = "actionbot dashboard"


async def sync(fake: Any, **kw: Any) -> Any:
    async with aiohttp.ClientSession() as session:
        return await reconcile(client(session, fake), REPO, **kw)


async def push(fake: Any, text: str) -> Any:
    before = head(fake)
    after = fake.commit(REPO, {NOTES: text})
    return await sync(fake, ref=after, before=before, changed=[Changed(NOTES)])


def dashboards(fake: Any) -> list[dict[str, Any]]:
    return [i for i in fake.issues(REPO) if is_dashboard(i.get("body"))]


def dash_writes(fake: Any, number: int) -> list[Any]:
    return [w for w in fake.writes(f"/repos/{REPO}/issues/{number}") if w.path == f"/repos/{REPO}/issues/{number}"]


async def test_first_sync_creates_the_dashboard_with_its_own_label(fake_github: Any) -> None:
    setup_repo(fake_github)
    await sync(fake_github)
    (dash,) = dashboards(fake_github)
    assert dash["title"] == TITLE and dash["state"] == "open"
    assert [lb["name"] for lb in dash["labels"]] == [DASH_LABEL]  # never the action-item label
    assert "Write the incident report for the February outage" in dash["body"]
    assert "Needs an owner" in dash["body"]
    assert DASH_LABEL in [lb["name"] for lb in fake_github.labels(REPO)]


async def test_dashboard_rewritten_only_when_what_it_shows_changed(fake_github: Any) -> None:
    setup_repo(fake_github)
    await sync(fake_github)
    (dash,) = dashboards(fake_github)
    fake_github.reset_log()
    await sync(fake_github)  # unchanged re-run
    assert fake_github.writes() == []
    # A change the dashboard does not show (a new task in an item's body): the item is edited, the dashboard not.
    report = await push(fake_github, EXAMPLE.replace("  - PyPI\n", "  - PyPI\n  - Conda-forge\n"))
    assert report.applied and dash_writes(fake_github, dash["number"]) == []
    # A retitled item is shown there: one rewrite.
    await push(fake_github, EXAMPLE.replace("February outage", "February outages"))
    assert len(dash_writes(fake_github, dash["number"])) == 1
    assert "February outages" in dashboards(fake_github)[0]["body"]


async def test_dashboard_off_in_the_configuration(fake_github: Any) -> None:
    setup_repo(fake_github, config=CONFIG + "dashboard: false\n")
    await sync(fake_github)
    assert dashboards(fake_github) == []
    assert DASH_LABEL not in [lb["name"] for lb in fake_github.labels(REPO)]


@pytest.mark.parametrize("kw", [{"dry_run": True}, {"preview": True}])
async def test_dry_runs_and_previews_leave_the_dashboard_alone(fake_github: Any, kw: dict[str, Any]) -> None:
    setup_repo(fake_github)
    await sync(fake_github, **kw)
    assert dashboards(fake_github) == []


async def test_a_dashboard_closed_by_a_human_stays_closed(fake_github: Any) -> None:
    setup_repo(fake_github)
    await sync(fake_github)
    (dash,) = dashboards(fake_github)
    fake_github.close_issue(REPO, dash["number"], actor="maint")
    await push(fake_github, EXAMPLE.replace("February outage", "February outages"))
    (after,) = dashboards(fake_github)
    assert after["state"] == "closed" and "February outages" not in after["body"]
