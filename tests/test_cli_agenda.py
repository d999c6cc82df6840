"""`actionbot agenda` against the fake GitHub: the review list in markdown and JSON.

In this process (`main(argv)` in a thread, the fake GitHub on the test's loop);
the markdown test runs the command as a process, its smoke test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from actionbot.engine.reconcile import reconcile
from tests.clirun import InProcessCLI, Ran, as_process
from tests.syncenv import REPO, by_title, client, setup_repo

ROOT = Path(__file__).resolve().parent.parent
INCIDENT = "Write the incident report for the February outage"


async def cli(runner: InProcessCLI | None, fake: Any, *args: str, token: str | None = "tok") -> tuple[int, str, str]:
    """`actionbot agenda ARGS` in process, or as a process when `runner` is None."""
    env = {} if token is None else {"GITHUB_TOKEN": token}
    argv = ["agenda", *args, "--api-url", fake.url]
    ran: Ran = await (as_process(*argv, env=env, cwd=ROOT) if runner is None else runner.arun(*argv, env=env, cwd=ROOT))
    return ran.code, ran.out, ran.err


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
    code, out, err = await cli(None, fake, REPO)  # as a process: the command's smoke test
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


async def test_json_has_the_same_data(fake: Any, cli_main: InProcessCLI) -> None:
    code, out, err = await cli(cli_main, fake, REPO, "--format", "json", "--since", "2025-01-01")
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
async def test_usage_errors(fake_github: Any, cli_main: InProcessCLI, args: list[str], token: str | None, code: int,
                           words: str) -> None:
    setup_repo(fake_github)  # no issues needed: the command stops before listing them
    got, _, err = await cli(cli_main, fake_github, *args, token=token)
    assert got == code and words in err
