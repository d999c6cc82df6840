"""`actionbot agenda` as a process against the fake GitHub: the review list in markdown and JSON."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from actionbot.engine.reconcile import reconcile
from tests.syncenv import REPO, by_title, client, setup_repo

ROOT = Path(__file__).resolve().parent.parent
INCIDENT = "Write the incident report for the February outage"


async def cli(fake: Any, *args: str, token: str | None = "tok") -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GITHUB_API_URL")}
    if token is not None:
        env["GITHUB_TOKEN"] = token
    argv = [sys.executable, "-m", "actionbot", "agenda", *args, "--api-url", fake.url]
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def fake(fake_github: Any) -> Any:
    setup_repo(fake_github)
    async with aiohttp.ClientSession() as session:
        gh = client(session, fake_github)
        await reconcile(gh, REPO)
        await gh.update_issue(REPO, by_title(fake_github)[INCIDENT]["number"], state="closed", state_reason="completed")
    return fake_github


async def test_markdown_groups_by_owner_and_lists_what_closed(fake: Any) -> None:
    fake.reset_log()
    code, out, err = await cli(fake, REPO)
    assert code == 0, err
    assert fake.writes() == []  # reading only
    headings = [ln for ln in out.splitlines() if ln.startswith("#")]
    assert headings == [
        "## Open action items (8)",
        "### carol (1)",
        "### choldgraf (2)",
        "### Needs an owner (5)",  # "(Sylvain?)" is tentative: not an owner yet
        "## Closed since the last meeting (2025-03-06) (1)",
    ]
    issues = by_title(fake)
    policy = issues["Review the dependency policy draft, see jupyterhub/binderhub#379"]["number"]
    assert re.search(
        rf"^- \[ \] Review the dependency policy draft, see jupyterhub/binderhub#379 \(@choldgraf\) #{policy} · "
        r"2025-03-06 · \d+ (?:months?|years?) · refs: jupyterhub/binderhub#379 state unknown$",
        out,
        re.M,
    ), out
    incident = issues[INCIDENT]["number"]
    assert re.search(rf"^- \[x\] {INCIDENT} #{incident} · done \d{{4}}-\d\d-\d\d by octocat$", out, re.M), out


async def test_json_has_the_same_data(fake: Any) -> None:
    code, out, err = await cli(fake, REPO, "--format", "json", "--since", "2025-01-01")
    assert code == 0, err
    data = json.loads(out)
    assert data["repo"] == REPO and data["last_meeting"] == "2025-01-01"
    assert [g["owner"] for g in data["open"]] == ["carol", "choldgraf", None]
    assert [c["title"] for c in data["closed_since_last_meeting"]] == [INCIDENT]
    assert data["closed_since_last_meeting"][0]["closed_by"] == "octocat"
    assert all(i["line"].startswith("- [ ] ") and i["age"] for g in data["open"] for i in g["items"])
    assert data["requests"] <= 6  # config, two listings, one closer


@pytest.mark.parametrize(
    ("args", "token", "code", "words"),
    [
        (["not-a-repo"], "tok", 2, "OWNER/NAME"),
        ([REPO], None, 2, "no token"),
        ([REPO, "--since", "June"], "tok", 2, "YYYY-MM-DD"),
        (["octo-org/missing"], "tok", 3, "not found"),
    ],
)
async def test_usage_errors(fake: Any, args: list[str], token: str | None, code: int, words: str) -> None:
    got, _, err = await cli(fake, *args, token=token)
    assert got == code and words in err
